import Foundation
import Logging
import SSHMCore
import SSHMReconcile

/// A store, a simulated hypervisor and a state directory of a test's own: the reconciler's whole world.
///
/// On a real back end (``SSHMXenTestSupport``'s `EngineHarness.with(_:_:)`) the store is a private daemon of this
/// test (the engine reads all of `/libxl/static_shm`, so tests must not share one).
package final class EngineHarness: Sendable {
    package let backend: XenStoreBackend
    package let store: any DomainIntroducing
    /// A second connection, for writers racing the engine.
    package let other: any DomainIntroducing
    package let stateDirectory: String
    package let configDirectory: String
    private let closeStores: @Sendable () -> Void

    /// A harness over two connections of one store; `close` closes them when the harness is torn down.
    package init(
        backend: XenStoreBackend, store: any DomainIntroducing, other: any DomainIntroducing,
        close: @escaping @Sendable () -> Void
    ) throws {
        self.backend = backend
        self.store = store
        self.other = other
        self.closeStores = close
        stateDirectory = try Self.temporaryDirectory()
        configDirectory = stateDirectory + "/sshm.d"
        try FileManager.default.createDirectory(atPath: configDirectory, withIntermediateDirectories: true)
        try TestDomains.createDom0(in: store)
    }

    /// Runs `body` with a fresh harness on the in-memory fake, tearing it down afterwards.
    package static func inMemory<T>(_ body: (EngineHarness) async throws -> T) async throws -> T {
        let store = InMemoryXenStore()
        let other = store.connect()
        let harness = try EngineHarness(backend: .inMemory, store: store, other: other) {
            store.close()
            other.close()
        }
        defer { harness.cleanUp() }
        return try await body(harness)
    }

    /// Closes the stores and removes the directories.
    package func cleanUp() {
        closeStores()
        try? FileManager.default.removeItem(atPath: stateDirectory)
    }

    private static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sshm-engine-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

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
