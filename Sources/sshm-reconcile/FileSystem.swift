import Foundation

enum FileSystem {
    static var currentDirectory: String { FileManager.default.currentDirectoryPath }
}
