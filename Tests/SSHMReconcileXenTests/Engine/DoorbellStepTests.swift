import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXenTestSupport
import Synchronization
import Testing

/// The doorbell rendezvous (docs/guest-view.md, "Doorbell") end to end on the fake and both real daemons: the
/// nodes and their permissions, the verdict on each pair from its nodes and the hypervisor, the reset of a broken
/// pair, the repair of drift and the removal with a member, a dropped `doorbell:` and a pruned region.
@Suite("Doorbell step")
struct DoorbellStepTests {
    static let backends = XenStoreBackend.allCases

    /// The simulated hypervisor, with event channels the test sets by hand (as guests' calls would leave them).
    final class Channels: Hypervisor {
        let base: SimulatedHypervisor
        let table = Mutex<[String: EventChannelStatus]>([:])
        let asked = Mutex(0)

        init(_ base: SimulatedHypervisor) { self.base = base }

        func set(_ domain: DomID, _ port: UInt32, _ status: EventChannelStatus?) {
            table.withLock { $0["\(domain):\(port)"] = status }
        }

        func info() throws -> HypervisorInfo { try base.info() }
        func listDomains() throws -> [DomainInfo] { try base.listDomains() }
        func addToPhysmapBatch(
            borrower: DomID, owner: DomID, space: MapSpace, ownerGFN: UInt64, borrowerGFN: UInt64, count: Int
        ) throws -> [Int32] {
            try base.addToPhysmapBatch(
                borrower: borrower, owner: owner, space: space, ownerGFN: ownerGFN, borrowerGFN: borrowerGFN,
                count: count)
        }
        func removeFromPhysmap(borrower: DomID, gfn: UInt64) throws -> Bool {
            try base.removeFromPhysmap(borrower: borrower, gfn: gfn)
        }
        func eventChannelStatus(domain: DomID, port: UInt32) throws -> EventChannelStatus {
            asked.withLock { $0 += 1 }
            guard let status = table.withLock({ $0["\(domain):\(port)"] }) else {
                throw HypervisorError(operation: "xc_evtchn_status", errno: 22, owner: domain)
            }
            return status
        }
    }

    /// A region from sensor-vm to logger-vm (with a doorbell) and audit-vm (without one).
    struct World {
        var base: ReconcilerTests.World
        var desired: DesiredState
        var channels: Channels
        var id: RegionID { base.region.id }
        var owner: DomID { base.owner.domid }
        var borrower: DomID { base.borrower.domid }
        var audit: DomID { base.extra[0].domid }

        init(_ harness: EngineHarness) throws {
            base = try ReconcilerTests.World(harness, borrowers: ["audit-vm"])
            var region = base.region
            region.borrowers[0].doorbell = true
            desired = Build.desired([region], file: harness.source())
            channels = Channels(harness.hypervisor())
        }

        func ownerPort(_ borrower: DomID? = nil) -> XenStorePath {
            XenStorePath(DoorbellTree.port(id, of: owner, peer: borrower ?? self.borrower))
        }
        var borrowerPort: XenStorePath { XenStorePath(DoorbellTree.port(id, of: borrower, peer: owner)) }
    }

    @discardableResult
    static func pass(_ harness: EngineHarness, _ world: World, _ desired: DesiredState? = nil) throws -> (
        report: PassReport, mutations: Int
    ) {
        let counting = CountingXenStore(harness.store)
        let report = try Reconciler(
            store: counting, hypervisor: world.channels, settings: harness.settings(), logger: .quiet
        ).reconcile(desired ?? world.desired, previous: [:])
        #expect(report.execution.failures.isEmpty)
        return (report, counting.current.mutations)
    }

    static func state(_ report: PassReport, _ world: World) -> DoorbellState? {
        report.doorbells[world.id]?.pairs[world.borrower]
    }

    /// Every node of `domid`'s doorbell subtree: value and permissions, by path below the view.
    static func subtree(_ harness: EngineHarness, _ domid: DomID, _ id: RegionID) throws -> [String: String] {
        let view = RecordPaths.roleDirectory(domid: domid, id: id)
        var nodes: [String: String] = [:]
        func walk(_ path: XenStorePath) throws {
            guard let children = try harness.store.directory(path, in: nil) else { return }
            let permissions = try harness.store.permissions(path, in: nil)?.map(\.description)
            let name = String(path.rawValue.dropFirst(view.count + 1))
            nodes[name] = "\(try harness.store.read(path, in: nil) ?? "") \(permissions?.joined(separator: ",") ?? "")"
            for child in children { try walk(path.appending(child)) }
        }
        try walk(XenStorePath(view + "/doorbell"))
        return nodes
    }

    @Test(arguments: backends)
    func eachSideGetsItsPortWritableByItselfAndReadableByThePairOnly(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness)
            let (report, _) = try Self.pass(harness, world)
            let (owner, borrower) = (world.owner.rawValue, world.borrower.rawValue)
            #expect(
                try Self.subtree(harness, world.owner, world.id) == [
                    "doorbell": " n0,r\(owner)", "doorbell/\(borrower)": " n0,r\(owner),r\(borrower)",
                    "doorbell/\(borrower)/port": " n0,b\(owner),r\(borrower)",
                ])
            #expect(
                try Self.subtree(harness, world.borrower, world.id) == [
                    "doorbell": " n0,r\(borrower)", "doorbell/\(owner)": " n0,r\(borrower),r\(owner)",
                    "doorbell/\(owner)/port": " n0,b\(borrower),r\(owner)",
                ])
            #expect(try Self.subtree(harness, world.audit, world.id).isEmpty)
            #expect(Self.state(report, world) == .waitingForOwner)
            #expect(try harness.viewProblems() == [])

            let again = try Self.pass(harness, world)
            #expect(again.mutations == 0)
            #expect(Self.state(again.report, world) == .waitingForOwner)
        }
    }

    @Test(arguments: backends)
    func aHandshakeOfTwoGuestsEndsConnectedWithoutAWrite(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness)
            try Self.pass(harness, world)
            // The owner allocates port 5 unbound for the borrower and publishes it.
            world.channels.set(world.owner, 5, .unbound(remote: world.borrower))
            try harness.other.write(world.ownerPort(), "5", in: nil)
            let offered = try Self.pass(harness, world)
            #expect(Self.state(offered.report, world) == .waitingForBorrower)
            #expect(offered.mutations == 0)
            // The borrower binds it as its port 9 and reports that.
            world.channels.set(world.owner, 5, .interdomain(remote: world.borrower, remotePort: 9))
            try harness.other.write(world.borrowerPort, "9", in: nil)
            let bound = try Self.pass(harness, world)
            #expect(Self.state(bound.report, world) == .connected)
            #expect(bound.mutations == 0)
            #expect(try harness.store.read(world.ownerPort(), in: nil) == "5")
        }
    }

    /// The same handshake on the simulated hypervisor's own event channels, as two guests' calls leave them; then
    /// the borrower closes its end and the pair is broken and reset.
    @Test(arguments: backends)
    func aHandshakeOnTheSimulatorsEventChannelsEndsConnected(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness)
            let hypervisor = harness.hypervisor()
            func pass() throws -> DoorbellState? {
                let report = try Reconciler(
                    store: harness.store, hypervisor: hypervisor, settings: harness.settings(), logger: .quiet
                ).reconcile(world.desired, previous: [:])
                return Self.state(report, world)
            }
            #expect(try pass() == .waitingForOwner)
            let owner = SimulatedEventChannelGuest(hypervisor, domain: world.owner)
            let borrower = SimulatedEventChannelGuest(hypervisor, domain: world.borrower)
            let offered = try owner.allocateUnbound(remote: world.borrower)
            try harness.other.write(world.ownerPort(), "\(offered)", in: nil)
            #expect(try pass() == .waitingForBorrower)
            let bound = try borrower.bindInterdomain(remote: world.owner, remotePort: offered)
            try harness.other.write(world.borrowerPort, "\(bound)", in: nil)
            #expect(try pass() == .connected)
            try borrower.close(port: bound)
            #expect(try pass()?.isBroken == true)
            #expect(try harness.store.read(world.ownerPort(), in: nil) == "")
            #expect(try harness.store.read(world.borrowerPort, in: nil) == "")
        }
    }

    @Test(arguments: backends)
    func aBrokenPairIsResetSoTheGuestsMeetAgain(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness)
            try Self.pass(harness, world)
            try harness.other.write(world.ownerPort(), "5", in: nil)
            try harness.other.write(world.borrowerPort, "9", in: nil)
            let cases: [(EventChannelStatus?, String)] = [
                (.unbound(remote: world.audit), "offered to domain \(world.audit)"),
                (.interdomain(remote: world.audit, remotePort: 9), "bound to domain \(world.audit)"),
                (.interdomain(remote: world.borrower, remotePort: 8), "bound to its port 8"),
                (.unbound(remote: world.borrower), "is not bound"),
                (.closed, "is closed"),
                (.other("virq"), "virq channel"),
                (nil, "EINVAL"),
            ]
            for (status, why) in cases {
                world.channels.set(world.owner, 5, status)
                try harness.other.write(world.ownerPort(), "5", in: nil)
                try harness.other.write(world.borrowerPort, "9", in: nil)
                let (report, _) = try Self.pass(harness, world)
                let state = Self.state(report, world)
                #expect(state?.isBroken == true && "\(state!)".contains(why), "\(String(describing: status))")
                #expect(try harness.store.read(world.ownerPort(), in: nil) == "")
                #expect(try harness.store.read(world.borrowerPort, in: nil) == "")
                #expect(Self.state(try Self.pass(harness, world).report, world) == .waitingForOwner)
            }
        }
    }

    @Test(arguments: backends)
    func hostileValuesAndDriftAreReportedAndRepairedWithoutAskingTheHypervisor(_ backend: XenStoreBackend)
        async throws
    {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness)
            try Self.pass(harness, world)
            let pristine = try Self.subtree(harness, world.owner, world.id)
            for hostile in [String(repeating: "7", count: 2000), "abc", "0", "007", "-1", "131072", "5\n"] {
                try harness.other.write(world.ownerPort(), hostile, in: nil)
                let (report, _) = try Self.pass(harness, world)
                #expect(Self.state(report, world)?.isBroken == true, "\(hostile.prefix(20))")
                #expect(try Self.subtree(harness, world.owner, world.id) == pristine)
            }
            #expect(world.channels.asked.withLock { $0 } == 0)

            // Children under a guest-writable node, its permissions widened, a node deleted, a stray peer.
            try harness.other.write(world.ownerPort().appending("extra"), "x", in: nil)
            try harness.other.setPermissions(
                world.borrowerPort, [XenStorePermission(domid: 0, access: .both)], in: nil)
            try harness.other.remove(
                XenStorePath(DoorbellTree.pairDirectory(world.id, of: world.borrower, peer: world.owner)), in: nil)
            try harness.other.write(
                XenStorePath(DoorbellTree.port(world.id, of: world.owner, peer: world.audit)), "3", in: nil)
            let (repaired, mutations) = try Self.pass(harness, world)
            #expect(mutations > 0)
            #expect(Self.state(repaired, world) == .waitingForOwner)
            #expect(try Self.subtree(harness, world.owner, world.id) == pristine)
            #expect(try Self.pass(harness, world).mutations == 0)
            let (owner, borrower) = (world.owner.rawValue, world.borrower.rawValue)
            #expect(
                try Self.subtree(harness, world.borrower, world.id)["doorbell/\(owner)/port"]
                    == " n0,b\(borrower),r\(owner)")
        }
    }

    @Test(arguments: backends)
    func aBorrowerBackUnderANewDomidGetsAFreshRendezvous(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness)
            try Self.pass(harness, world)
            try harness.other.write(world.ownerPort(), "5", in: nil)
            try TestDomains.destroy(world.base.borrower, in: harness.store)
            try Self.pass(harness, world)
            // The owner keeps its doorbell/ while no borrower runs: it tells "none yet" from "no doorbell any more".
            let ownerDirectory = XenStorePath(DoorbellTree.directory(world.id, of: world.owner))
            #expect(try harness.store.directory(ownerDirectory, in: nil) == [])
            let again = try TestDomains.create("logger-vm", in: harness.store)
            #expect(again.domid != world.borrower)
            let (report, _) = try Self.pass(harness, world)
            #expect(report.doorbells[world.id]?.pairs.keys.sorted() == [again.domid])
            let children = try harness.store.directory(
                XenStorePath(DoorbellTree.directory(world.id, of: world.owner)), in: nil)
            #expect(children == ["\(again.domid)"])
            #expect(try harness.store.read(world.ownerPort(again.domid), in: nil) == "")
        }
    }

    @Test(arguments: backends)
    func aDroppedDoorbellOrAPrunedRegionTakesItsNodesAlong(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            let world = try World(harness)
            try Self.pass(harness, world)
            let (dropped, _) = try Self.pass(harness, world, world.base.desired)
            #expect(dropped.doorbells[world.id]?.pairs.isEmpty == true)
            #expect(try Self.subtree(harness, world.owner, world.id).isEmpty)
            #expect(try Self.subtree(harness, world.borrower, world.id).isEmpty)
            #expect(try Self.pass(harness, world, world.base.desired).mutations == 0)

            try Self.pass(harness, world)
            #expect(try !Self.subtree(harness, world.owner, world.id).isEmpty)
            let other = Build.region("other", owner: "sensor-vm", borrowers: [], source: harness.source())
            try Self.pass(harness, world, Build.desired([other], file: harness.source()))
            #expect(try Self.subtree(harness, world.owner, world.id).isEmpty)
            #expect(
                try harness.store.directory(
                    XenStorePath(RecordPaths.roleDirectory(domid: world.owner, id: world.id)), in: nil) == nil)
        }
    }
}
