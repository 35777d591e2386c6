import Foundation
import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXenTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The seed's bugs, failed hypercalls, racing writers: what the loop must survive.
@Suite("Reconciler failures")
struct ReconcilerFailureTests {
    typealias World = ReconcilerTests.World

    @Test(arguments: XenStoreBackend.allCases)
    func mapsASeventyThousandPageRegionCompletely(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness, pages: 70_000)
            let report = try harness.pass(world.desired)
            #expect(report.execution.failures.isEmpty)
            // One call of 70,000 pages would map 70,000 mod 65,536 = 4,464 of them and still report success.
            let pages = try harness.mappings().pages(of: world.key)
            #expect(pages.count == 70_000)
            #expect(pages.last?.gfn == 0x100_0000 + 69_999 && pages.last?.page.ownerGFN == 0x7FE00 + 69_999)
        }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func aWholeCallFailureLeavesNoBorrowerEntryNothingMappedAndNoUnmapCall(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness)
            var faults = SimulatorFaults()
            faults.failCall = (1, ENOMEM)
            let report = try harness.reconciler(faults: faults).reconcile(world.desired, previous: [:])
            #expect(report.conditions[world.region.id]?.kind == .degraded)
            #expect(try harness.dump()[world.entry] == nil)
            #expect(try harness.dump()[world.base + "/usercnt"] == "1")
            #expect(try harness.mappings().totalPages == 0)
            let journal = try String(contentsOfFile: harness.stateFile + ".journal", encoding: .utf8)
            #expect(!journal.contains("unmap"))
            // Not terminal: the next pass maps it.
            let retry = try harness.pass(world.desired, previous: report.conditions)
            #expect(retry.conditions[world.region.id]?.kind == .ready)
            #expect(try harness.mappings().pages(of: world.key).count == 512)
        }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func aFailedPageUnmapsEveryPageThatWasMappedAndLeavesNoResidue(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness)
            var faults = SimulatorFaults()
            faults.failPage = (100, EINVAL)
            let report = try harness.reconciler(faults: faults).reconcile(world.desired, previous: [:])
            #expect(report.conditions[world.region.id]?.kind == .failed)
            #expect(report.conditions[world.region.id]?.reason == ConditionReason.refused)
            // The region was created by this pass for nothing: no record, no index entry, no role, no page.
            #expect(try harness.dump().isEmpty || harness.dump()[world.base] == nil)
            #expect(try harness.store.read(XenStorePath(RecordPaths.indexEntry(world.region.id)), in: nil) == nil)
            #expect(try harness.mappings().totalPages == 0)
            let journal = try String(contentsOfFile: harness.stateFile + ".journal", encoding: .utf8)
            // Exactly the 511 pages that mapped were unmapped (the journal has a line per unmapped range).
            let unmapped = journal.split(separator: "\n").filter { $0.contains("\"op\":\"unmap\"") }.map { line in
                Int(line.split(separator: "\"count\":").last?.prefix { $0.isNumber } ?? "") ?? 0
            }
            #expect(unmapped.reduce(0, +) == 511)
            // Terminal: not tried again while nothing changed.
            let again = try harness.pass(world.desired, previous: report.conditions)
            #expect(again.plan.isEmpty)
            #expect(again.conditions[world.region.id]?.kind == .failed)
        }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func aRollbackTriesEveryRangeAndReportsTheOneItCouldNotUnmap(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness, pages: 5)
            // Pages 1 and 3 fail: pages 0, 2 and 4 are mapped as three ranges; the second of their unmaps fails.
            var faults = SimulatorFaults()
            faults.failPages = [1: EINVAL, 3: EINVAL]
            faults.failUnmap = (2, EBUSY)
            let report = try harness.reconciler(faults: faults).reconcile(world.desired, previous: [:])
            let first: UInt64 = 0x100_0000
            // The third range was unmapped after the second failed; only the second is left.
            #expect(try harness.mappings().pages(of: world.key).map(\.gfn) == [first + 2])
            let condition = try #require(report.conditions[world.region.id])
            #expect(condition.kind == .degraded)
            #expect(condition.message.contains("could not unmap 0x1000002000 ("))
            #expect(!condition.message.contains("0x1000000000") && !condition.message.contains("0x1000004000"))
            // The intent stays, and the next pass unmaps the whole range and maps it again.
            #expect(try harness.dump()[world.entry + "/state"] == "mapping")
            let retry = try harness.pass(world.desired, previous: report.conditions)
            #expect(retry.conditions[world.region.id]?.kind == .ready)
            #expect(try harness.mappings().pages(of: world.key).count == 5)
        }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func aRegionTheHypervisorRefusesDoesNotKeepTheOthersFromBecomingReady(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness)
            // The owner of "bad" has 1 MiB of RAM: its frames at 256 MiB do not exist, every page fails (EINVAL).
            try TestDomains.create("tiny-vm", memoryKiB: 1024, in: harness.store)
            let bad = Build.region(
                "bad", owner: "tiny-vm", begin: 0x1000_0000, borrowers: [("logger-vm", 0x30_0000_0000)],
                source: harness.source())
            let report = try harness.pass(Build.desired([bad, world.region], file: harness.source()))
            #expect(report.conditions[bad.id]?.kind == .failed)
            #expect(report.conditions[world.region.id]?.kind == .ready)
            #expect(try harness.mappings().pages(of: world.key).count == 512)
        }
    }

    @Test(arguments: [XenStoreBackend.inMemory, .cXenstored])
    func convergesWhileAnotherWriterKeepsChangingTheRecord(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness, borrowers: ["extra-vm"])
            try harness.pass(world.desired)
            try harness.other.write(XenStorePath(world.entry + "/state"), "mapping", in: nil)
            let stop = Atomic<Bool>(false)
            let writes = Atomic<Int>(0)
            let retries = Atomic<Int>(0)
            let other = harness.other
            let usercnt = XenStorePath(world.base + "/usercnt")
            let writer = Task.detached {
                while !stop.load(ordering: .relaxed) {
                    try? other.write(usercnt, "9", in: nil)
                    writes.add(1, ordering: .relaxed)
                }
            }
            defer { stop.store(true, ordering: .relaxed) }
            while writes.load(ordering: .relaxed) < 10 { await Task.yield() }
            // Real jittered backoff between attempts, as in production. The writer stops after the third retry, as a
            // racing toolstack eventually does: stopping it after a number of writes instead made the test depend on
            // how fast a loaded machine runs the writer against the backoff. (How many conflicts it causes depends on
            // scheduling too, so the test does not count them.)
            let policy = RetryPolicy(sleep: { delay in
                if retries.add(1, ordering: .relaxed).newValue >= 3 { stop.store(true, ordering: .relaxed) }
                RetryPolicy.threadSleep(delay)
            })
            let report = try harness.reconciler(settings: { $0.retry = policy }).reconcile(
                world.desired, previous: [:])
            stop.store(true, ordering: .relaxed)
            await writer.value
            #expect(
                report.execution.failures.isEmpty, "the retries are bounded but enough: \(report.execution.failures)")
            // The writer's last word on usercnt may have come after the pass: one more pass repairs it.
            try harness.pass(world.desired)
            #expect(try harness.plan(world.desired).isEmpty)
            #expect(try harness.dump()[world.base + "/usercnt"] == "3")
        }
    }
}
