import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXenTestSupport
import Testing

/// The guest view (docs/guest-view.md) end to end, on the fake and on both real daemons: written with the records,
/// every node `n0,r<domid>`, repaired when someone changes it, gone with the region or the member.
@Suite("Guest view")
struct GuestViewTests {
    static let backends = XenStoreBackend.allCases

    /// Every node of the view of `domid`, with its value and permissions, or `nil` when the view is missing.
    static func view(_ harness: EngineHarness, _ domid: DomID, _ id: RegionID) throws -> [String: String]? {
        let directory = XenStorePath(RecordPaths.roleDirectory(domid: domid, id: id))
        guard let children = try harness.store.directory(directory, in: nil) else { return nil }
        func permissions(_ path: XenStorePath) throws -> String {
            try harness.store.permissions(path, in: nil)?.map(\.description).joined(separator: ",") ?? "missing"
        }
        var nodes = ["permissions": try permissions(directory)]
        for child in children {
            nodes[child] = try harness.store.read(directory.appending(child), in: nil)
            nodes[child + " permissions"] = try permissions(directory.appending(child))
        }
        return nodes
    }

    /// What `view` must hold: `values`, each leaf and the directory `n0,r<domid>`.
    static func expected(_ domid: DomID, _ values: [String: String]) -> [String: String] {
        let permissions = "n0,r\(domid.rawValue)"
        var nodes = values
        for name in values.keys { nodes[name + " permissions"] = permissions }
        nodes["permissions"] = permissions
        return nodes
    }

    /// A pass on a counting store: what it planned, and how many changes it sent.
    static func countedPass(
        _ harness: EngineHarness, _ world: ReconcilerTests.World
    ) throws -> (plan: Plan, mutations: Int) {
        let counting = CountingXenStore(harness.store)
        let report = try Reconciler(
            store: counting, hypervisor: harness.hypervisor(), settings: harness.settings(), logger: .quiet
        ).reconcile(world.desired, previous: [:])
        #expect(report.execution.failures.isEmpty)
        return (report.plan, counting.current.mutations)
    }

    @Test(arguments: backends)
    func eachMemberReadsItsPartWithOnlyItselfAllowedToRead(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try ReconcilerTests.World(harness, borrowers: ["audit-vm"])
            let report = try harness.pass(world.desired)
            #expect(report.execution.failures.isEmpty)
            let auditID = world.extra[0].domid
            let owner = world.owner.domid
            let id = world.region.id

            #expect(
                try Self.view(harness, owner, id)
                    == Self.expected(
                        owner,
                        [
                            "role": "master", "begin": "0x7fe00000", "size": "0x200000", "offset": "0x0",
                            "prot": "rw", "cache_policy": "x86_normal",
                            "peer": [world.borrower.domid, auditID].sorted().map(\.description).joined(separator: " "),
                            "state": "ready",
                        ]))
            #expect(
                try Self.view(harness, world.borrower.domid, id)
                    == Self.expected(
                        world.borrower.domid,
                        [
                            "role": "slave", "begin": "0x1000000000", "size": "0x200000", "offset": "0x0",
                            "prot": "rw", "cache_policy": "x86_normal", "peer": "\(owner)", "state": "mapped",
                        ]))
            #expect(try Self.view(harness, auditID, id)?["begin"] == "0x2000000000")
            #expect(try harness.viewProblems() == [])

            let again = try Self.countedPass(harness, world)
            #expect(again.plan.isEmpty)
            #expect(again.mutations == 0)
        }
    }

    /// A new member's view is written whole over whatever was at its path (a guest that owns its tree may have put
    /// nodes there, with its own permissions): the leftovers go, and every node ends `n0,r<domid>`, in one pass.
    @Test(arguments: backends)
    func aNewViewReplacesWhatWasAtItsPath(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try ReconcilerTests.World(harness)
            let borrower = world.borrower.domid
            let directory = XenStorePath(RecordPaths.roleDirectory(domid: borrower, id: world.region.id))
            let guestOwned = [XenStorePermission(domid: borrower.rawValue, access: .none)]
            for (leaf, value) in [("begin", "0x0"), ("ready", "1")] {
                try harness.other.write(directory.appending(leaf), value, in: nil)
                try harness.other.setPermissions(directory.appending(leaf), guestOwned, in: nil)
            }
            try harness.other.setPermissions(directory, guestOwned, in: nil)

            let report = try harness.pass(world.desired)
            #expect(report.execution.failures.isEmpty)
            #expect(
                try Self.view(harness, borrower, world.region.id)
                    == Self.expected(
                        borrower,
                        [
                            "role": "slave", "begin": "0x1000000000", "size": "0x200000", "offset": "0x0",
                            "prot": "rw", "cache_policy": "x86_normal", "peer": "\(world.owner.domid)",
                            "state": "mapped",
                        ]))
            #expect(try Self.countedPass(harness, world).plan.isEmpty)
        }
    }

    /// A view found missing because its domain's whole tree went (the toolstack destroying it, before the domain
    /// list says so: a daemon's cached list, here a stale one) is not written again: that would leave nodes of a
    /// dead domain behind once its entry is forgotten. Nor is anything else: the record's `usercnt` and the owner's
    /// summary rewritten unchanged would wake every watcher of the record for nothing.
    @Test(arguments: backends)
    func aViewIsNotRepairedIntoTheTreeOfADomainThatIsGone(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try ReconcilerTests.World(harness)
            try harness.pass(world.desired)
            let reconciler = harness.reconciler()
            let declared = Set(world.desired.regions.map(\.id))
            let before = try reconciler.observe(declared: declared)
            let tree = XenStorePath("/local/domain/\(world.borrower.domid.rawValue)")
            try harness.other.remove(tree, in: nil)
            var stale = try reconciler.observe(declared: declared)
            stale.domains = before.domains

            let counting = CountingXenStore(harness.store)
            let report = try Reconciler(
                store: counting, hypervisor: harness.hypervisor(), settings: harness.settings(), logger: .quiet
            ).reconcile(world.desired, observation: stale, previous: [:])
            #expect(report.plan.actions.map(\.kind) == [.repair])
            #expect(report.execution.failures.isEmpty)
            #expect(try harness.other.read(tree, in: nil) == nil)
            #expect(counting.current.mutations == 0)
        }
    }

    /// Ways a dom0 tool (or a person) can change a view behind the engine's back.
    enum Tampering: String, CaseIterable, CustomTestStringConvertible {
        case valueChanged
        case leafDeleted
        case viewDeleted
        case leafRepermissioned
        case directoryRepermissioned
        case unexpectedChild
        case ownerSummaryChanged
        case recordRepermissioned

        var testDescription: String { rawValue }

        func apply(to world: ReconcilerTests.World, _ store: any XenStore) throws {
            let borrower = XenStorePath(RecordPaths.roleDirectory(domid: world.borrower.domid, id: world.region.id))
            let owner = XenStorePath(RecordPaths.roleDirectory(domid: world.owner.domid, id: world.region.id))
            let everyone = [XenStorePermission(domid: 0, access: .read)]
            switch self {
            case .valueChanged: try store.write(borrower.appending("begin"), "0x0", in: nil)
            case .leafDeleted: try store.remove(borrower.appending("state"), in: nil)
            case .viewDeleted: try store.remove(borrower, in: nil)
            case .leafRepermissioned: try store.setPermissions(borrower.appending("state"), everyone, in: nil)
            case .directoryRepermissioned: try store.setPermissions(owner, everyone, in: nil)
            case .unexpectedChild: try store.write(borrower.appending("ready"), "1", in: nil)
            case .ownerSummaryChanged: try store.write(owner.appending("state"), "waiting", in: nil)
            case .recordRepermissioned:
                try store.setPermissions(XenStorePath(RecordPaths.record(world.region.id)), everyone, in: nil)
            }
        }
    }

    @Test(arguments: backends, Tampering.allCases)
    func aViewChangedByHandIsRepairedByTheNextPass(_ backend: XenStoreBackend, _ tampering: Tampering) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try ReconcilerTests.World(harness)
            try harness.pass(world.desired)
            let owner = try Self.view(harness, world.owner.domid, world.region.id)
            let borrower = try Self.view(harness, world.borrower.domid, world.region.id)
            let record = try harness.store.permissions(XenStorePath(world.base), in: nil)

            try tampering.apply(to: world, harness.other)
            let repair = try Self.countedPass(harness, world)
            #expect(repair.plan.actions.map(\.kind) == [.repair])
            #expect(repair.mutations > 0)

            #expect(try Self.view(harness, world.owner.domid, world.region.id) == owner)
            #expect(try Self.view(harness, world.borrower.domid, world.region.id) == borrower)
            #expect(try harness.store.permissions(XenStorePath(world.base), in: nil) == record)
            #expect(try harness.inconsistencies() == [])
            let again = try Self.countedPass(harness, world)
            #expect(again.plan.isEmpty)
            #expect(again.mutations == 0)
        }
    }

    @Test(arguments: backends)
    func theViewMovesWithTheRegionToANewOwner(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            var world = try ReconcilerTests.World(harness, borrowers: ["camera-vm"])
            try harness.pass(world.desired)
            let old = try #require(try Self.view(harness, world.owner.domid, world.region.id))
            let camera = world.extra[0].domid
            world.region.owner.domain = .name("camera-vm")
            world.region.borrowers.removeLast()
            world.desired = Build.desired([world.region], file: harness.source())
            #expect(try harness.pass(world.desired).execution.failures.isEmpty)

            #expect(try Self.view(harness, world.owner.domid, world.region.id) == nil)
            var moved = old
            moved["peer"] = "\(world.borrower.domid)"
            for (name, value) in moved where name.hasSuffix("permissions") {
                moved[name] = value.replacing("r\(world.owner.domid)", with: "r\(camera)")
            }
            #expect(try Self.view(harness, camera, world.region.id) == moved)
            #expect(try Self.view(harness, world.borrower.domid, world.region.id)?["peer"] == "\(camera)")
            #expect(try harness.inconsistencies() == [])
            #expect(try harness.plan(world.desired).isEmpty)
        }
    }

    @Test(arguments: backends)
    func theViewGoesWithADepartedMemberAndWithAPrunedRegion(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            var world = try ReconcilerTests.World(harness, borrowers: ["audit-vm"])
            try harness.pass(world.desired)
            let auditID = world.extra[0].domid
            #expect(try Self.view(harness, auditID, world.region.id) != nil)

            world.region.borrowers.removeLast()
            world.desired = Build.desired([world.region], file: harness.source())
            #expect(try harness.pass(world.desired).execution.failures.isEmpty)
            #expect(try Self.view(harness, auditID, world.region.id) == nil)
            #expect(try Self.view(harness, world.owner.domid, world.region.id)?["peer"] == "\(world.borrower.domid)")
            #expect(try Self.view(harness, world.owner.domid, world.region.id)?["state"] == "ready")
            #expect(try harness.inconsistencies() == [])

            let other = Build.region("other", owner: "sensor-vm", borrowers: [], source: harness.source())
            #expect(try harness.pass(Build.desired([other], file: harness.source())).execution.failures.isEmpty)
            #expect(try Self.view(harness, world.owner.domid, world.region.id) == nil)
            #expect(try Self.view(harness, world.borrower.domid, world.region.id) == nil)
            #expect(try Self.view(harness, world.owner.domid, other.id)?["state"] == "ready")
            #expect(try Self.view(harness, world.owner.domid, other.id)?["peer"] == "")
        }
    }
}
