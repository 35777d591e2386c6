import Foundation

/// A private directory under the system temp dir, removed by `remove()` (call it in a `defer`).
package struct TemporaryDirectory {
    package let path: String

    package init() throws {
        path = NSTemporaryDirectory() + "sshm-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
    }

    /// Writes `text` to `name` inside the directory and returns the file's path.
    @discardableResult
    package func write(_ name: String, _ text: String, mode: mode_t = 0o644) throws -> String {
        try write(name, bytes: Array(text.utf8), mode: mode)
    }

    @discardableResult
    package func write(_ name: String, bytes: [UInt8], mode: mode_t = 0o644) throws -> String {
        let file = path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        chmod(file, mode)
        return file
    }

    package func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
