import Foundation
import Subprocess
import SystemPackage

/// Runs the `sshm-reconcile` binary that `swift build` put next to the test bundle.
enum BuiltTool {
    struct Run {
        /// The exit status; `nil` when a signal ended the process.
        var status: Int32?
        var stdout: String
        var stderr: String
    }

    static var path: String {
        let bundle = Bundle.main.bundleURL.resolvingSymlinksInPath()
        let directory = bundle.pathExtension == "xctest" ? bundle.deletingLastPathComponent() : bundle
        return directory.appendingPathComponent("sshm-reconcile").path
    }

    static func run(
        _ arguments: [String], in directory: String? = nil, environment: [String: String] = [:]
    ) async throws -> Run {
        try await run(program: path, arguments, in: directory, environment: environment)
    }

    /// Runs another program the same way (a script that reads the tool's output).
    static func run(
        program: String, _ arguments: [String], in directory: String? = nil, environment: [String: String] = [:]
    ) async throws -> Run {
        var updates: [Environment.Key: String?] = [:]
        for (key, value) in environment { updates[Environment.Key(stringLiteral: key)] = value }
        let result = try await Subprocess.run(
            .path(FilePath(program)), arguments: Arguments(arguments), environment: .inherit.updating(updates),
            workingDirectory: directory.map { FilePath($0) }, output: .string(limit: 1 << 20),
            error: .string(limit: 1 << 20))
        var status: Int32?
        if case .exited(let code) = result.terminationStatus { status = code }
        return Run(status: status, stdout: result.standardOutput, stderr: result.standardError)
    }
}

/// A private directory under the system temp dir, removed by `remove()` (call it in a `defer`).
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "sshm-cli-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
