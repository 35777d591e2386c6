import Foundation

/// Files under `Tests/SSHMCoreTests/Fixtures`, copied into the test bundle.
enum Fixtures {
    static var root: URL {
        Bundle.module.bundleURL.appendingPathComponent("Fixtures", isDirectory: true)
    }

    /// Names of the files in a fixture folder, sorted.
    static func names(in folder: String, suffix: String = ".yaml") -> [String] {
        let directory = root.appendingPathComponent(folder).path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(suffix) }.sorted()
    }

    static func bytes(_ folder: String, _ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(folder).appendingPathComponent(name)))
    }

    static func text(_ folder: String, _ name: String) throws -> String {
        String(decoding: try bytes(folder, name), as: UTF8.self)
    }
}
