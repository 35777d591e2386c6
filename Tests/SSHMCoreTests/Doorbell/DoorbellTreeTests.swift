import SSHMCore
import SSHMTestSupport
import Testing

@Suite("Doorbell tree")
struct DoorbellTreeTests {
    static let id = Build.id("telemetry")
    static let (owner, borrower, other) = (DomID(unchecked: 3), DomID(unchecked: 4), DomID(unchecked: 9))
    static let tree = DoorbellTree(id: id, owner: owner, borrowers: [borrower])

    /// Every node of the tree as it must be, with `values` in the two ports.
    static func pristine(owner ownerValue: String = "", borrower borrowerValue: String = "") -> [String: ObservedNode] {
        var nodes: [String: ObservedNode] = [:]
        for (me, peer, value) in [(owner, borrower, ownerValue), (borrower, owner, borrowerValue)] {
            nodes[DoorbellTree.directory(id, of: me)] = ObservedNode(
                value: "", children: ["\(peer)"], permissions: DoorbellTree.directoryPermissions(me))
            nodes[DoorbellTree.pairDirectory(id, of: me, peer: peer)] = ObservedNode(
                value: "", children: ["port"], permissions: DoorbellTree.pairPermissions(me, peer: peer))
            nodes[DoorbellTree.port(id, of: me, peer: peer)] = ObservedNode(
                value: value, permissions: DoorbellTree.portPermissions(me, peer: peer))
        }
        return nodes
    }

    @Test func readsThreeNodesPerSideAndTheDirectoryOfAMemberWithoutAPair() {
        let paths = Self.tree.nodesToRead(members: [Self.owner, Self.borrower, Self.other])
        #expect(paths.count == 7)
        #expect(paths.contains(DoorbellTree.directory(Self.id, of: Self.other)))
        #expect(paths.contains("/local/domain/4/static_shm/telemetry/doorbell/3/port"))
    }

    @Test func createsEveryNodeWithItsPermissionsAndChangesNothingOnceThere() {
        let created = Self.tree.plan(members: [Self.owner, Self.borrower], observed: [:], statuses: [:])
        #expect(created.changes.count == 12)
        #expect(
            created.changes.contains(
                .setPermissions("/local/domain/3/static_shm/telemetry/doorbell/4/port", "n0,b3,r4")))
        #expect(
            created.changes.contains(.setPermissions("/local/domain/4/static_shm/telemetry/doorbell/3", "n0,r4,r3")))
        #expect(created.states == [Self.borrower: .waitingForOwner])
        let settled = Self.tree.plan(members: [Self.owner, Self.borrower], observed: Self.pristine(), statuses: [:])
        #expect(settled.changes.isEmpty)
    }

    @Test func removesWhatAGuestAddedAndWhatNoPairNeeds() {
        var observed = Self.pristine()
        let port = DoorbellTree.port(Self.id, of: Self.owner, peer: Self.borrower)
        observed[port]?.children = ["x", "y"]
        observed[DoorbellTree.directory(Self.id, of: Self.owner)]?.children.append("9")
        observed[DoorbellTree.directory(Self.id, of: Self.other)] = ObservedNode(value: "", permissions: "n0,r9")
        let (changes, _) = Self.tree.plan(
            members: [Self.owner, Self.borrower, Self.other], observed: observed, statuses: [:])
        #expect(
            Set(changes) == [
                .remove(port + "/x"), .remove(port + "/y"), .remove("/local/domain/3/static_shm/telemetry/doorbell/9"),
                .remove("/local/domain/9/static_shm/telemetry/doorbell"),
            ])
    }

    @Test func resetsBothPortsOfABrokenPairAndLeavesAConnectedOneAlone() {
        let connected = Self.tree.plan(
            members: [Self.owner, Self.borrower], observed: Self.pristine(owner: "5", borrower: "7"),
            statuses: [5: .status(.interdomain(remote: Self.borrower, remotePort: 7))])
        #expect(connected.changes.isEmpty)
        #expect(connected.states[Self.borrower] == .connected)
        let broken = Self.tree.plan(
            members: [Self.owner, Self.borrower], observed: Self.pristine(owner: "5", borrower: "7"),
            statuses: [5: .status(.interdomain(remote: Self.other, remotePort: 7))])
        #expect(
            broken.changes == [
                .write("/local/domain/3/static_shm/telemetry/doorbell/4/port", ""),
                .write("/local/domain/4/static_shm/telemetry/doorbell/3/port", ""),
            ])
    }

    @Test func theOwnerKeepsAnEmptyDirectoryWhileNoBorrowerWithADoorbellRuns() {
        let waiting = DoorbellTree(id: Self.id, owner: Self.owner, borrowers: [], enabled: true)
        var observed = Self.pristine()
        observed[DoorbellTree.directory(Self.id, of: Self.owner)]?.children = []
        #expect(waiting.plan(members: [Self.owner], observed: observed, statuses: [:]).changes.isEmpty)
    }

    @Test func aRegionWithoutDoorbellsRemovesEverySubtreeLeft() {
        let none = DoorbellTree(id: Self.id, owner: Self.owner, borrowers: [])
        let (changes, states) = none.plan(
            members: [Self.owner, Self.borrower], observed: Self.pristine(owner: "5"), statuses: [:])
        #expect(
            changes == [
                .remove("/local/domain/3/static_shm/telemetry/doorbell"),
                .remove("/local/domain/4/static_shm/telemetry/doorbell"),
            ])
        #expect(states.isEmpty)
    }
}
