import Foundation
import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXenTestSupport
import Testing

/// The reconcile loop end to end: every action kind, on the fake and on both real daemons, with the simulated
/// hypervisor.
@Suite("Reconciler")
struct ReconcilerTests {
    /// Two running domains and a region between them, declared in the harness's config dir.
    struct World {
        var owner: TestDomain
        var borrower: TestDomain
        /// The borrowers named by `borrowers:`, in order.
        var extra: [TestDomain] = []
        var region: Region
        var desired: DesiredState

        init(_ harness: EngineHarness, pages: UInt64 = 512, borrowers extra: [String] = []) throws {
            owner = try TestDomains.create("sensor-vm", in: harness.store)
            borrower = try TestDomains.create("logger-vm", in: harness.store)
            for name in extra { self.extra.append(try TestDomains.create(name, in: harness.store)) }
            region = Build.region(
                "telemetry", owner: "sensor-vm", size: pages * 4096,
                borrowers: [("logger-vm", 0x10_0000_0000)] + extra.map { ($0, 0x20_0000_0000) },
                source: harness.source())
            desired = Build.desired([region], file: harness.source())
        }

        var key: DomainKey { DomainKey(domid: borrower.domid, uuid: borrower.uuid) }
        var base: String { RecordPaths.record(region.id) }
        var entry: String { "\(base)/slaves/\(borrower.domid)" }
    }

    static let backends = XenStoreBackend.allCases

    @Test(arguments: backends)
    func mapsANewRegionAndASecondPassChangesNothing(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness)
            let report = try harness.pass(world.desired)
            #expect(report.execution.failures.isEmpty)
            #expect(report.conditions[world.region.id]?.kind == .ready)

            let nodes = try harness.dump()
            #expect(nodes[world.base + "/master"] == "\(world.owner.domid)")
            #expect(nodes[world.base + "/usercnt"] == "2")
            #expect(nodes[world.base + "/manager"] == "sshm-reconcile")
            #expect(nodes[world.entry + "/state"] == "mapped")
            #expect(nodes[world.entry + "/uuid"] == world.borrower.uuid.rawValue)
            #expect(try harness.store.permissions(XenStorePath(world.base), in: nil) == XenStorePermission.dom0Only)
            #expect(try harness.store.read(XenStorePath(RecordPaths.indexEntry(world.region.id)), in: nil) == "")
            let ownerRole = RecordPaths.role(domid: world.owner.domid, id: world.region.id)
            let borrowerRole = RecordPaths.role(domid: world.borrower.domid, id: world.region.id)
            #expect(try harness.store.read(XenStorePath(ownerRole), in: nil) == "master")
            #expect(try harness.store.read(XenStorePath(borrowerRole), in: nil) == "slave")
            let pages = try harness.mappings().pages(of: world.key)
            #expect(pages.count == 512)
            #expect(pages.first?.gfn == 0x100_0000 && pages.first?.page.ownerGFN == 0x7FE00)
            #expect(pages.last?.page.owner == world.owner.domid)

            let counting = CountingXenStore(harness.store)
            let again = try Reconciler(
                store: counting, hypervisor: harness.hypervisor(), settings: harness.settings(), logger: .quiet
            ).reconcile(world.desired, previous: report.conditions)
            #expect(again.plan.isEmpty)
            #expect(counting.current.mutations == 0)
            #expect(try harness.dump() == nodes)
        }
    }

    @Test(arguments: backends)
    func unmapsABorrowerThatIsNoLongerDeclared(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            var world = try World(harness, borrowers: ["extra-vm"])
            try harness.pass(world.desired)
            world.region.borrowers.removeLast()
            world.desired = Build.desired([world.region], file: harness.source())
            let plan = try harness.plan(world.desired)
            #expect(plan.actions.map(\.kind) == [.unmap])
            let report = try harness.pass(world.desired)
            #expect(report.execution.failures.isEmpty)
            let nodes = try harness.dump()
            #expect(nodes.keys.filter { $0.hasPrefix(world.base + "/slaves/") && $0.hasSuffix("/state") }.count == 1)
            #expect(nodes[world.base + "/usercnt"] == "2")
            let mapped = try harness.mappings()
            #expect(mapped.totalPages == 512)
            #expect(try harness.plan(world.desired).isEmpty)
        }
    }

    @Test(arguments: backends)
    func remapsABorrowerThatCameBackUnderANewDomid(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness)
            try harness.pass(world.desired)
            try TestDomains.destroy(world.borrower, in: harness.store)
            let reborn = try TestDomains.create("logger-vm", uuid: world.borrower.uuid, in: harness.store)
            #expect(try harness.plan(world.desired).actions.map(\.kind) == [.remap])
            let report = try harness.pass(world.desired)
            #expect(report.execution.failures.isEmpty)
            let nodes = try harness.dump()
            #expect(nodes[world.entry] == nil)
            #expect(nodes["\(world.base)/slaves/\(reborn.domid)/state"] == "mapped")
            #expect(nodes[world.base + "/usercnt"] == "2")
            #expect(try harness.mappings().pages(of: DomainKey(domid: reborn.domid, uuid: reborn.uuid)).count == 512)
            #expect(try harness.plan(world.desired).isEmpty)
        }
    }

    /// The daemon's reaction to a borrower's arrival is these two transactions; the C daemon copies every node a
    /// transaction touches, so each request left out is time off the reaction (docs/design.md, "Transactions on the
    /// wire").
    @Test(arguments: backends)
    func aBorrowersArrivalOnAnExistingRecordCostsTwoTransactionsOf32Requests(_ backend: XenStoreBackend)
        async throws
    {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness)
            try harness.pass(world.desired)
            try TestDomains.destroy(world.borrower, in: harness.store)
            try harness.pass(world.desired)
            let arrived = try TestDomains.create("logger-vm", in: harness.store)
            let reconciler = harness.reconciler()
            let observation = try reconciler.observe(declared: [world.region.id])
            #expect(reconciler.plan(world.desired, observation, previous: [:]).actions.map(\.kind) == [.map])

            let counting = CountingXenStore(harness.store)
            // As in the daemon, which tells the daemons apart once, at start (`Executor.batchSize(for:)`).
            let settings = harness.settings { $0.batchRegions = 1 }
            let report = try Reconciler(
                store: counting, hypervisor: harness.hypervisor(), settings: settings, logger: .quiet
            ).reconcile(world.desired, observation: observation, previous: [:])
            #expect(report.execution.failures.isEmpty)
            #expect(try harness.dump()["\(world.base)/slaves/\(arrived.domid)/state"] == "mapped")
            // The intent: start; the record's manager (which says it exists) and its entries; the entry's 6 leaves;
            // the borrower's view (removed, written, its permissions, 8 leaves); the owner's peer and state with
            // their permissions; commit. The outcome: start; the entries; both states, usercnt, the owner's state;
            // commit.
            #expect(counting.current.transactions == 2)
            #expect(counting.current.requests == (1 + 2 + 6 + 11 + 4 + 1) + (1 + 1 + 4 + 1))
        }
    }

    @Test(arguments: backends)
    func repairsARecordThatDisagreesWithItselfAndRecoversAnInterruptedMap(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness)
            try harness.pass(world.desired)
            try harness.other.write(XenStorePath(world.base + "/usercnt"), "7", in: nil)
            try harness.other.write(XenStorePath(world.entry + "/state"), "mapping", in: nil)
            try harness.other.remove(
                XenStorePath(RecordPaths.roleDirectory(domid: world.owner.domid, id: world.region.id)), in: nil)
            try harness.other.remove(XenStorePath(RecordPaths.indexEntry(world.region.id)), in: nil)
            let plan = try harness.plan(world.desired)
            #expect(Set(plan.actions.map(\.kind)) == [.repair])
            let report = try harness.pass(world.desired)
            #expect(report.execution.failures.isEmpty)
            let nodes = try harness.dump()
            #expect(nodes[world.base + "/usercnt"] == "2")
            #expect(nodes[world.entry + "/state"] == "mapped")
            #expect(try harness.mappings().pages(of: world.key).count == 512)
            #expect(try harness.plan(world.desired).isEmpty)
        }
    }

    @Test(arguments: backends)
    func garbageCollectsTheEntryOfABorrowerThatIsGone(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness)
            try harness.pass(world.desired)
            try TestDomains.destroy(world.borrower, in: harness.store)
            #expect(try harness.plan(world.desired).actions.map(\.kind) == [.gc])
            let report = try harness.pass(world.desired)
            #expect(report.conditions[world.region.id]?.kind == .pending)
            let nodes = try harness.dump()
            #expect(nodes[world.entry] == nil)
            #expect(nodes[world.base + "/usercnt"] == "1")
            #expect(try harness.plan(world.desired).isEmpty)
        }
    }

    @Test(arguments: backends)
    func tearsDownARegionWhoseOwnerIsGoneAndUnmapsItsBorrowers(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness)
            try harness.pass(world.desired)
            try TestDomains.destroy(world.owner, in: harness.store)
            let report = try harness.pass(world.desired)
            #expect(report.execution.failures.isEmpty)
            #expect(report.conditions[world.region.id]?.reason == ConditionReason.waitingForOwner)
            #expect(try harness.dump().isEmpty || harness.dump()[world.base] == nil)
            #expect(try harness.mappings().totalPages == 0)
            #expect(try harness.plan(world.desired).isEmpty)
        }
    }

    @Test(arguments: backends)
    func prunesARegionWhoseFileWasDeletedButNeverOneOfAFrozenFile(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness)
            try harness.pass(world.desired)
            let other = Build.region(
                "other", owner: "sensor-vm", begin: 0x1000_0000, borrowers: [], source: harness.source("20-other.yaml"))
            let frozen = DesiredState(files: [
                ManifestFile(path: harness.source(), status: .frozen, diagnostics: []),
                ManifestFile(path: harness.source("20-other.yaml"), status: .valid([other]), diagnostics: []),
            ])
            let kept = try harness.pass(frozen)
            #expect(kept.conditions[world.region.id]?.kind == .frozen)
            #expect(try harness.dump()[world.entry + "/state"] == "mapped")

            let deleted = Build.desired([other], file: harness.source("20-other.yaml"))
            let report = try harness.pass(deleted)
            #expect(report.execution.failures.isEmpty)
            #expect(report.conditions[world.region.id] == nil)
            #expect(try harness.dump()[world.base] == nil)
            #expect(try harness.store.read(XenStorePath(RecordPaths.indexEntry(world.region.id)), in: nil) == nil)
            #expect(try harness.mappings().pages(of: world.key).isEmpty)
            // Its index shard held only it, and went with it.
            #expect(RecordPaths.shard(of: world.region.id) != RecordPaths.shard(of: other.id))
            let shard = XenStorePath(RecordPaths.indexRoot).appending(RecordPaths.shard(of: world.region.id))
            #expect(try harness.store.directory(shard, in: nil) == nil)
        }
    }

    @Test(arguments: backends)
    func prunesNothingWhenTheConfigDirDeclaresNothing(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness)
            try harness.pass(world.desired)
            let report = try harness.pass(DesiredState(files: []))
            #expect(report.plan.isEmpty && report.plan.notes.count == 1)
            #expect(try harness.dump()[world.entry + "/state"] == "mapped")
        }
    }
}

/// Record spellings and records written by other tools.
@Suite("Reconciler records")
struct ReconcilerRecordTests {
    typealias World = ReconcilerTests.World

    @Test(arguments: [XenStoreBackend.inMemory, .cXenstored])
    func writesTheForksOwnerBorrowerSpellingWhenAskedAndKeepsItOnRepair(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness)
            let fork = harness.reconciler(settings: { $0.plan.dialect = .ownerBorrower })
            _ = try fork.reconcile(world.desired, previous: [:])
            let nodes = try harness.dump()
            #expect(nodes[world.base + "/owner"] == "\(world.owner.domid)")
            #expect(nodes[world.base + "/master"] == nil)
            #expect(nodes["\(world.base)/borrowers/\(world.borrower.domid)/state"] == "mapped")
            let role = RecordPaths.role(domid: world.borrower.domid, id: world.region.id)
            #expect(try harness.store.read(XenStorePath(role), in: nil) == "borrower")
            // A pass with the default spelling reads the fork's record and leaves its spelling alone.
            try harness.other.write(XenStorePath(world.base + "/usercnt"), "9", in: nil)
            try harness.pass(world.desired)
            #expect(try harness.dump()[world.base + "/usercnt"] == "2")
            #expect(try harness.dump()[world.base + "/master"] == nil)
        }
    }

    /// A record as libxl's static_shm code leaves it: no manager, no UUIDs, no state.
    static func writeLibxlRecord(_ world: World, _ harness: EngineHarness) throws {
        let base = XenStorePath(world.base)
        let entry = base.appending("slaves").appending(world.borrower.domid)
        let values: [(XenStorePath, String)] = [
            (base.appending("master"), "\(world.owner.domid)"), (base.appending("begin"), "0x7fe00000"),
            (base.appending("size"), "0x200000"), (base.appending("prot"), "rw"),
            (base.appending("cache_policy"), "x86_normal"), (base.appending("usercnt"), "2"),
            (entry.appending("begin"), "0x1000000000"), (entry.appending("size"), "0x200000"),
            (entry.appending("offset"), "0x0"), (entry.appending("prot"), "rw"),
        ]
        for (path, value) in values { try harness.other.write(path, value, in: nil) }
    }

    @Test(arguments: [XenStoreBackend.inMemory, .cXenstored])
    func leavesARecordOfAnotherToolAloneAndReportsAConflictUnlessAskedToAdopt(_ backend: XenStoreBackend)
        async throws
    {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness)
            try Self.writeLibxlRecord(world, harness)
            let before = try harness.dump()
            let report = try harness.pass(world.desired)
            #expect(report.conditions[world.region.id]?.reason == ConditionReason.conflict)
            #expect(try harness.dump() == before)

            let adopted = try harness.reconciler(settings: { $0.plan.adopt = true }).reconcile(
                world.desired, previous: report.conditions)
            #expect(adopted.execution.failures.isEmpty)
            #expect(adopted.conditions[world.region.id]?.kind == .ready)
            let nodes = try harness.dump()
            #expect(nodes[world.base + "/manager"] == "sshm-reconcile")
            #expect(nodes[world.entry + "/uuid"] == world.borrower.uuid.rawValue)
            #expect(nodes[world.entry + "/state"] == "mapped")
            #expect(try harness.plan(world.desired).isEmpty)
        }
    }
}
