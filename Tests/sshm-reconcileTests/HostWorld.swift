import Foundation
import Logging
import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXen
import SSHMXenTestSupport

/// A private xenstored with a few domains, a config dir and a state dir: what the built binary runs against.
struct HostWorld {
    let sandbox: XenstoredSandbox
    let store: LibXenStore
    let directory: TemporaryDirectory
    var configDirectory: String { directory.path + "/sshm.d" }
    var stateDirectory: String { directory.path + "/state" }

    /// Runs `body` with a fresh world on `daemon`, torn down afterwards.
    static func with<T>(
        _ daemon: XenstoredSandbox.Daemon = .c, _ body: (HostWorld) async throws -> T
    ) async throws -> T {
        try await XenstoredSandbox.withPrivate(daemon) { sandboxes in
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            try FileManager.default.createDirectory(
                atPath: directory.path + "/sshm.d", withIntermediateDirectories: false,
                attributes: [.posixPermissions: 0o755])
            let store = try LibXenStore.open(socketPath: sandboxes[0].socketPath, logger: .quiet)
            defer { store.close() }
            try TestDomains.createDom0(in: store)
            return try await body(HostWorld(sandbox: sandboxes[0], store: store, directory: directory))
        }
    }

    /// Writes a manifest into the config dir (mode 0644, as `plan`/`apply` require).
    func manifest(_ name: String, _ text: String) throws {
        let path = configDirectory + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
    }

    /// Runs the binary with this world's xenstored, config dir and state dir, and the simulated hypervisor.
    func run(_ arguments: [String], faults: String? = nil) async throws -> BuiltTool.Run {
        var environment = ["XENSTORED_PATH": sandbox.socketPath]
        if let faults { environment[SimulatorFaults.environmentKey] = faults }
        let options = [
            "--hypervisor", "simulated", "--config-dir", configDirectory, "--state-dir", stateDirectory,
        ]
        return try await BuiltTool.run(arguments + options, environment: environment)
    }

    var stateFile: String { stateDirectory + "/simulated.json" }

    /// ``Consistency/problems(store:stateFile:)`` for this world.
    func inconsistencies() throws -> [String] {
        try Consistency.problems(store: store, stateFile: stateFile)
    }

    /// ``Consistency/viewProblems(store:stateFile:)`` for this world.
    func viewProblems() throws -> [String] {
        try Consistency.viewProblems(store: store, stateFile: stateFile)
    }
}
