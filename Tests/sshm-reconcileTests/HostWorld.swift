import Foundation
import Logging
import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXen

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

    /// Checks that the records and the simulated hypervisor agree completely; returns what is wrong.
    func inconsistencies() throws -> [String] {
        let actual = try RecordReader(store: store, logger: .quiet).readActual(declared: [])
        let mappings = try SimulatorStateFile.read(path: stateFile)
        let domains = try SimulatedHypervisor(store: store, stateFile: stateFile).listDomains()
        let alive = Dictionary(uniqueKeysWithValues: domains.map { ($0.domid, $0.uuid) })
        var problems: [String] = []
        var claimed: [DomainKey: Set<UInt64>] = [:]
        for record in actual.records.values where record.isManaged {
            if record.usercnt != record.expectedUsercnt {
                problems.append("\(record.id): usercnt \(record.usercnt ?? -1), expected \(record.expectedUsercnt)")
            }
            for entry in record.borrowers.values {
                if entry.state != .mapped {
                    problems.append("\(record.id)/\(entry.domid): state \(String(describing: entry.state))")
                }
                guard let uuid = alive[entry.domid], let frames = entry.frames, let begin = record.begin else {
                    continue
                }
                let key = DomainKey(domid: entry.domid, uuid: uuid)
                let offset = entry.offset?.pages ?? 0
                for (index, gfn) in frames.enumerated() {
                    claimed[key, default: []].insert(gfn)
                    let page = mappings.page(key, gfn: gfn)
                    if page?.owner != record.owner || page?.ownerGFN != begin.gfn + offset + UInt64(index) {
                        problems.append("\(record.id)/\(entry.domid): gfn \(gfn) maps \(String(describing: page))")
                    }
                }
            }
        }
        for (key, pages) in mappings.borrowers where alive[key.domid] == key.uuid {
            let orphans = Set(pages.keys).subtracting(claimed[key] ?? [])
            if !orphans.isEmpty { problems.append("dom\(key.domid): \(orphans.count) mapped pages no record claims") }
        }
        return problems
    }
}
