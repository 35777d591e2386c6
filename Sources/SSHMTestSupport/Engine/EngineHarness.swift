import Foundation
import Logging
import SSHMCore
import SSHMReconcile
import SSHMXen

/// A store, a simulated hypervisor and a state directory of a test's own: the reconciler's whole world.
///
/// On a real back end the store is a private daemon of this test (the engine reads all of `/libxl/static_shm`, so
/// tests must not share one).
package final class EngineHarness: Sendable {
    package let backend: XenStoreBackend
    package let store: any DomainIntroducing
    /// A second connection, for writers racing the engine.
    package let other: any DomainIntroducing
    package let stateDirectory: String
    package let configDirectory: String
    private let sandbox: XenstoredSandbox?

    private init(
        backend: XenStoreBackend, store: any DomainIntroducing, other: any DomainIntroducing, sandbox: XenstoredSandbox?
    ) throws {
        self.backend = backend
        self.store = store
        self.other = other
        self.sandbox = sandbox
        stateDirectory = try Self.temporaryDirectory()
        configDirectory = stateDirectory + "/sshm.d"
        try FileManager.default.createDirectory(atPath: configDirectory, withIntermediateDirectories: true)
        try TestDomains.createDom0(in: store)
    }

    /// Runs `body` with a fresh harness on `backend`, tearing it down afterwards (the daemon's log is kept when
    /// `body` throws).
    package static func with<T>(_ backend: XenStoreBackend, _ body: (EngineHarness) async throws -> T) async throws -> T
    {
        guard let daemon = backend.daemon else {
            let store = InMemoryXenStore()
            let harness = try EngineHarness(backend: backend, store: store, other: store.connect(), sandbox: nil)
            defer { harness.cleanUp() }
            return try await body(harness)
        }
        return try await XenstoredSandbox.withPrivate(daemon) { sandboxes in
            let socket = sandboxes[0].socketPath
            let harness = try EngineHarness(
                backend: backend, store: try LibXenStore.open(socketPath: socket, logger: .quiet),
                other: try LibXenStore.open(socketPath: socket, logger: .quiet), sandbox: sandboxes[0])
            defer { harness.cleanUp() }
            return try await body(harness)
        }
    }

    private func cleanUp() {
        (store as? LibXenStore)?.close()
        (other as? LibXenStore)?.close()
        try? FileManager.default.removeItem(atPath: stateDirectory)
    }

    private static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sshm-engine-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The daemon behind a real back end (for restarts).
    package var daemon: XenstoredSandbox? { sandbox }

    package var stateFile: String { stateDirectory + "/simulated.json" }

    /// A simulated hypervisor over this harness's store and state file.
    package func hypervisor(
        policy: SimulatedHypervisor.Policy = .permissive, faults: SimulatorFaults = SimulatorFaults()
    ) -> SimulatedHypervisor {
        SimulatedHypervisor(store: store, stateFile: stateFile, policy: policy, faults: faults)
    }

    package func settings(_ adjust: (inout ReconcileSettings) -> Void = { _ in }) -> ReconcileSettings {
        var settings = ReconcileSettings(
            plan: PlanOptions(configDirectory: configDirectory), retry: RetryPolicy(attempts: 16, sleep: { _ in }))
        adjust(&settings)
        return settings
    }

    /// A reconciler over this harness.
    package func reconciler(
        policy: SimulatedHypervisor.Policy = .permissive, faults: SimulatorFaults = SimulatorFaults(),
        settings adjust: (inout ReconcileSettings) -> Void = { _ in }
    ) -> Reconciler {
        Reconciler(
            store: store, hypervisor: hypervisor(policy: policy, faults: faults), settings: settings(adjust),
            logger: .quiet)
    }

    /// One pass with default settings, conditions carried from `previous`.
    @discardableResult
    package func pass(_ desired: DesiredState, previous: [RegionID: RegionCondition] = [:]) throws -> PassReport {
        try reconciler().reconcile(desired, previous: previous)
    }

    /// What a fresh pass would do now.
    package func plan(_ desired: DesiredState, previous: [RegionID: RegionCondition] = [:]) throws -> Plan {
        let reconciler = reconciler()
        let observation = try reconciler.observe(declared: Set(desired.regions.map(\.id)))
        return reconciler.plan(desired, observation, previous: previous)
    }

    /// The simulated hypervisor's mappings as they are on disk.
    package func mappings() throws -> SimulatedMappings { try SimulatorStateFile.read(path: stateFile) }

    /// A manifest path inside this harness's config dir.
    package func source(_ name: String = "10-test.yaml") -> String { configDirectory + "/" + name }

    /// Every node under `path` with its value (for assertions and failure messages).
    package func dump(_ path: XenStorePath = XenStorePath(RecordPaths.root)) throws -> [String: String] {
        var nodes: [String: String] = [:]
        func walk(_ path: XenStorePath) throws {
            guard let children = try store.directory(path, in: nil) else { return }
            nodes[path.rawValue] = try store.read(path, in: nil) ?? ""
            for child in children { try walk(path.appending(child)) }
        }
        try walk(path)
        return nodes
    }
}

extension TestDomains {
    /// dom0 as xen-init-dom0 writes it: `/local/domain/0/{name,domid}` (no `vm`: its UUID is all zeros).
    package static func createDom0(in store: some XenStore) throws {
        try store.write("/local/domain/0/name", "Domain-0", in: nil)
        try store.write("/local/domain/0/domid", "0", in: nil)
    }
}
