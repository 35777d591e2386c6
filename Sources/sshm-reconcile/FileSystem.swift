#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

enum FileSystem {
    static var currentDirectory: String { FileManager.default.currentDirectoryPath }
}
