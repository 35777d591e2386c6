import Foundation
import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXenTestSupport
import Synchronization
import Testing

/// Writers that do not take our lock (another toolstack, an operator's script, a second tool) change the records
/// while a pass runs: the pass retries what they made conflict, and the next pass converges.
@Suite("Racing writers")
struct RacingWritersTests {
    /// Regions `r0`… of one page between owner-vm and borrower-vm.
    static func desired(_ count: Int, _ harness: EngineHarness) -> DesiredState {
        BatchingTests.regions(count, harness)
    }

    /// The trace of the `ENOENT` two unlocked `apply`s hit on the C daemon: our transaction finds the record another
    /// writer has just created (the C daemon's reads inside a transaction see the live store), rewrites its existing
    /// leaves, which leaves the record node itself untouched by the transaction, and then sets the record's
    /// permissions after that writer removed it: `xs_set_permissions` fails with `ENOENT` before the commit could
    /// report the conflict. oxenstored works on a snapshot and reports it at the commit (`EAGAIN`). Either way the
    /// transaction starts over and creates the record afresh.
    @Test(arguments: XenStoreBackend.allCases)
    func aRecordRemovedUnderTheTransactionRestartsIt(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            try TestDomains.create("owner-vm", in: harness.store)
            try TestDomains.create("borrower-vm", in: harness.store)
            let desired = Self.desired(1, harness)
            let record = XenStorePath(RecordPaths.record(Build.id("r0")))
            let other = Reconciler(
                store: harness.other,
                hypervisor: SimulatedHypervisor(
                    store: harness.other, stateFile: harness.stateDirectory + "/other.json", policy: .permissive),
                settings: harness.settings(), logger: .quiet)
            let step = Atomic<Int>(0)
            let store = CountingXenStore(harness.store) { operation, path in
                // Before our first write, the other writer creates the whole record; before our first change of
                // its permissions, it removes it.
                if operation == "xs_write", step.compareExchange(expected: 0, desired: 1, ordering: .relaxed).exchanged
                {
                    _ = try? other.reconcile(desired, previous: [:])
                }
                if operation == "xs_set_permissions", path == record,
                    step.compareExchange(expected: 1, desired: 2, ordering: .relaxed).exchanged
                {
                    try? harness.other.remove(record, in: nil)
                }
            }
            let report = try Reconciler(
                store: store, hypervisor: harness.hypervisor(), settings: harness.settings(), logger: .quiet
            ).reconcile(desired, previous: [:])
            #expect(step.load(ordering: .relaxed) == 2, "the other writer must have acted twice")
            #expect(report.execution.failures.isEmpty, "\(report.execution.failures)")
            #expect(report.conditions[Build.id("r0")]?.kind == .ready, "\(report.conditions)")
            #expect(try harness.inconsistencies() == [])
        }
    }

    /// Another connection rewrites `usercnt`, deletes role nodes, and creates and removes records (strays of its
    /// own, and half-made records under our ids) while `apply` runs: no region fails because a node came or went,
    /// the next pass converges and the one after writes nothing.
    @Test(arguments: [XenStoreBackend.cXenstored, .oxenstored])
    func convergesAfterAPassRacedByAnotherWriter(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let owner = try TestDomains.create("owner-vm", in: harness.store)
            let borrower = try TestDomains.create("borrower-vm", in: harness.store)
            let desired = Self.desired(40, harness)
            let racer = Racer(
                store: harness.other, ids: desired.regions.map(\.id), domids: [owner.domid, borrower.domid])
            // On a thread of its own: a loop of blocking calls on a thread of Swift's cooperative pool (two on a
            // 2-core machine) would starve the test bodies that stop it, and racers of parallel cases hang forever.
            let operations = Task { try await BlockingExecutor(label: "racer").run { racer.run() } }
            defer { racer.stop() }
            while racer.operations.load(ordering: .relaxed) < 20, !racer.isStopped {
                try await Task.sleep(for: .milliseconds(1))
            }
            let raced = try harness.reconciler(settings: { $0.retry = RetryPolicy() }).reconcile(
                desired, previous: [:])
            racer.stop()
            let count = try await operations.value
            #expect(count > 20)
            try racer.removeLeftovers()
            #expect(
                !raced.conditions.values.contains { $0.message.contains("ENOENT") },
                "a node another writer created or removed is a conflict, not a failure: \(raced.conditions)")

            let next = try harness.pass(desired, previous: raced.conditions)
            #expect(next.execution.failures.isEmpty, "\(next.execution.failures)")
            #expect(!next.conditions.values.contains { $0.kind == .failed || $0.kind == .degraded })
            #expect(try harness.inconsistencies() == [])
            let counting = CountingXenStore(harness.store)
            let again = try Reconciler(
                store: counting, hypervisor: harness.hypervisor(), settings: harness.settings(), logger: .quiet
            ).reconcile(desired, previous: next.conditions)
            #expect(again.plan.isEmpty, "\(again.plan.actions.map(\.line))")
            #expect(counting.current.mutations == 0)
        }
    }
}

/// The other writer of ``RacingWritersTests``: seeded, so that a failure can be replayed.
private final class Racer: Sendable {
    let store: any XenStore
    let ids: [RegionID]
    let domids: [DomID]
    let operations = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)
    /// The racer's own bound: it stops by itself after this long, whatever happens to the test that runs it.
    static let longest: Duration = .seconds(60)
    static let strays = (0..<4).map { "stray-\($0)" }

    init(store: any XenStore, ids: [RegionID], domids: [DomID]) {
        self.store = store
        self.ids = ids
        self.domids = domids
    }

    var isStopped: Bool { stopped.load(ordering: .relaxed) }

    func stop() { stopped.store(true, ordering: .relaxed) }

    /// Runs until ``stop()``, or ``longest`` at most; returns how many operations it made.
    func run() -> Int {
        var random = SplitMix64(seed: 20_261_204)
        let root = XenStorePath(RecordPaths.root)
        let end = ContinuousClock.now + Self.longest
        while !isStopped, ContinuousClock.now < end {
            let id = ids[Int(random.next() % UInt64(ids.count))]
            let record = root.appending(id.rawValue)
            switch random.next() % 5 {
            case 0: try? rewriteIfPresent(record.appending("usercnt"), "9")
            case 1:
                let domid = domids[Int(random.next() % UInt64(domids.count))]
                try? store.remove(XenStorePath(RecordPaths.roleDirectory(domid: domid, id: id)), in: nil)
            case 2: try? createHalfRecord(record)
            case 3: try? removeIfHalfRecord(record)
            default:
                let stray = root.appending(Self.strays[Int(random.next() % UInt64(Self.strays.count))])
                if (try? store.read(stray.appending("usercnt"), in: nil)) == nil {
                    try? store.write(stray.appending("usercnt"), "1", in: nil)
                } else {
                    try? store.remove(stray, in: nil)
                }
            }
            operations.add(1, ordering: .relaxed)
        }
        return operations.load(ordering: .relaxed)
    }

    /// Only where the node exists: a blind write would create a record of nothing but `usercnt`.
    private func rewriteIfPresent(_ path: XenStorePath, _ value: String) throws {
        try withTransaction(store, policy: RetryPolicy(attempts: 1)) { tx in
            if try store.read(path, in: tx) != nil { try store.write(path, value, in: tx) }
        }
    }

    /// What a toolstack starting a record writes first, where there is no record yet.
    private func createHalfRecord(_ record: XenStorePath) throws {
        try withTransaction(store, policy: RetryPolicy(attempts: 1)) { tx in
            if try store.directory(record, in: tx) == nil { try store.write(record.appending("usercnt"), "1", in: tx) }
        }
    }

    /// Removes a record only while it is still the half record this writer made (no `manager`: not ours).
    private func removeIfHalfRecord(_ record: XenStorePath) throws {
        try withTransaction(store, policy: RetryPolicy(attempts: 1)) { tx in
            guard try store.directory(record, in: tx) == ["usercnt"] else { return }
            try store.remove(record, in: tx)
        }
    }

    /// The half records and strays still there when the race ends.
    func removeLeftovers() throws {
        let root = XenStorePath(RecordPaths.root)
        for stray in Self.strays { try store.remove(root.appending(stray), in: nil) }
        for id in ids {
            try withTransaction(store, policy: RetryPolicy()) { tx in
                let record = root.appending(id.rawValue)
                if try store.directory(record, in: tx) == ["usercnt"] { try store.remove(record, in: tx) }
            }
        }
    }
}
