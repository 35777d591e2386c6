import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXenTestSupport
import Testing

/// Regions with only maps to do share their transactions, and a failure inside a shared transaction still stays with
/// its region.
@Suite("Batching")
struct BatchingTests {
    /// `count` regions of one page, each with the borrowers `borrower-vm`, `borrower-vm-1`, … (`borrowers` of them).
    static func regions(_ count: Int, borrowers: Int = 1, _ harness: EngineHarness) -> DesiredState {
        Build.desired(
            (0..<count).map { n in
                Build.region(
                    "r\(n)", owner: "owner-vm", begin: 0x1000_0000 + UInt64(n) * 0x1_0000, size: 0x1000,
                    borrowers: (0..<borrowers).map { b in
                        (b == 0 ? "borrower-vm" : "borrower-vm-\(b)", 0x10_0000_0000 + UInt64(n) * 0x1_0000)
                    }, source: harness.source())
            }, file: harness.source())
    }

    static func reconciler(_ store: CountingXenStore, _ harness: EngineHarness) -> Reconciler {
        Reconciler(
            store: store, hypervisor: harness.hypervisor(), settings: harness.settings { $0.batchRegions = 16 },
            logger: .quiet)
    }

    @Test(arguments: [(XenStoreBackend.cXenstored, 1), (.oxenstored, 16), (.inMemory, 1)])
    func sharesTransactionsOnlyOnOxenstored(_ backend: XenStoreBackend, _ expected: Int) async throws {
        try await EngineHarness.with(backend) { harness in
            #expect(Executor.batchSize(for: harness.store) == expected)
        }
    }

    @Test(arguments: [XenStoreBackend.inMemory, .oxenstored])
    /// A new region of four borrowers is counted 116 requests (``Executor``'s estimate), so 7 fit the budget of
    /// 900: 40 regions take 6 batches of two transactions, fewer than the 16 regions a batch may hold.
    func fortyNewRegionsTakeTwoTransactionsPerBatchThatFitsTheRequestBudget(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            try TestDomains.create("owner-vm", in: harness.store)
            for name in ["borrower-vm", "borrower-vm-1", "borrower-vm-2", "borrower-vm-3"] {
                try TestDomains.create(name, in: harness.store)
            }
            let counting = CountingXenStore(harness.store)
            let report = try Self.reconciler(counting, harness).reconcile(
                Self.regions(40, borrowers: 4, harness), previous: [:])
            #expect(report.execution.failures.isEmpty)
            #expect(report.conditions.values.allSatisfy { $0.kind == .ready })
            #expect(counting.current.transactions == 2 * 6)
            #expect(try harness.inconsistencies() == [])
        }
    }

    @Test func aRegionThatFailsItsSharedTransactionDoesNotTakeTheOthersWithIt() async throws {
        try await EngineHarness.with(.inMemory) { harness in
            try TestDomains.create("owner-vm", in: harness.store)
            try TestDomains.create("borrower-vm", in: harness.store)
            let counting = CountingXenStore(harness.store, failingWritesUnder: "/libxl/static_shm/r3/")
            let report = try Self.reconciler(counting, harness).reconcile(Self.regions(8, harness), previous: [:])
            #expect(report.conditions[Build.id("r3")]?.kind == .degraded)
            #expect(report.conditions[Build.id("r3")]?.reason == ConditionReason.xenstoreError)
            for n in [0, 1, 2, 4, 5, 6, 7] { #expect(report.conditions[Build.id("r\(n)")]?.kind == .ready) }
            #expect(try harness.store.directory("/libxl/static_shm/r3", in: nil) == nil)
            #expect(try harness.inconsistencies() == [])
        }
    }

    /// The same for the shared transaction that records the outcomes: the region whose `usercnt` cannot be written
    /// keeps its intents for the next pass, which completes it.
    @Test func aRegionThatFailsTheSharedOutcomeTransactionDoesNotTakeTheOthersWithIt() async throws {
        try await EngineHarness.with(.inMemory) { harness in
            try TestDomains.create("owner-vm", in: harness.store)
            try TestDomains.create("borrower-vm", in: harness.store)
            let counting = CountingXenStore(harness.store, failingWritesUnder: "/libxl/static_shm/r3/usercnt")
            let desired = Self.regions(8, harness)
            let report = try Self.reconciler(counting, harness).reconcile(desired, previous: [:])
            #expect(report.conditions[Build.id("r3")]?.reason == ConditionReason.xenstoreError)
            for n in [0, 1, 2, 4, 5, 6, 7] { #expect(report.conditions[Build.id("r\(n)")]?.kind == .ready) }

            let next = try Self.reconciler(CountingXenStore(harness.store), harness).reconcile(
                desired, previous: report.conditions)
            #expect(next.conditions.values.allSatisfy { $0.kind == .ready })
            #expect(try harness.inconsistencies() == [])
        }
    }
}
