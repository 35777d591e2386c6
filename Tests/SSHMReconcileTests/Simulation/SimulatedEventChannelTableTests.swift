import SSHMCore
import SSHMTestSupport
import Testing

@testable import SSHMReconcile

#if canImport(Glibc)
    import Glibc
#endif

struct SimulatedEventChannelTableTests {
    static let owner = DomainKey(domid: Build.domid(1), uuid: Build.uuid(0xA1))
    static let borrower = DomainKey(domid: Build.domid(2), uuid: Build.uuid(0xA2))
    static let third = DomainKey(domid: Build.domid(3), uuid: Build.uuid(0xA3))

    /// The errno `body` failed with, or `nil` when it did not fail with a ``HypervisorError``.
    static func errno(_ body: () throws -> Void) -> Int32? {
        do {
            try body()
            return nil
        } catch {
            return (error as? HypervisorError)?.errno
        }
    }

    /// The owner's port unbound for the borrower, bound by the borrower: (owner port, borrower port).
    static func connected(_ table: inout SimulatedEventChannelTable) throws -> (UInt32, UInt32) {
        let ownerPort = try table.allocateUnbound(owner, remote: borrower.domid)
        let borrowerPort = try table.bindInterdomain(borrower, remote: owner, remotePort: ownerPort)
        return (ownerPort, borrowerPort)
    }

    @Test func allocationTakesTheLowestFreePortFromOneAndReusesClosedOnes() throws {
        var table = SimulatedEventChannelTable()
        var ports = try [Self.borrower, Self.third, Self.borrower].map {
            try table.allocateUnbound(Self.owner, remote: $0.domid)
        }
        try table.close(Self.owner, port: 2)
        ports.append(try table.allocateUnbound(Self.owner, remote: Self.borrower.domid))
        ports.append(try table.allocateUnbound(Self.borrower, remote: Self.owner.domid))
        #expect(ports == [1, 2, 3, 2, 1], "the lowest free port, per domain")
    }

    @Test func statusOfAPortNeverAllocatedIsInvalidAndPortZeroReadsClosed() throws {
        var table = SimulatedEventChannelTable()
        _ = try table.allocateUnbound(Self.owner, remote: Self.borrower.domid)
        let table2 = table
        #expect(Self.errno { _ = try table2.status(Self.owner, port: 2) } == EINVAL)
        #expect(Self.errno { _ = try table2.status(Self.borrower, port: 1) } == EINVAL)
        #expect(try table.status(Self.owner, port: 0) == .closed)
        #expect(try table.status(Self.owner, port: 1) == .unbound(remote: Self.borrower.domid))
    }

    @Test func bindingConnectsBothEnds() throws {
        var table = SimulatedEventChannelTable()
        _ = try table.allocateUnbound(Self.borrower, remote: Self.third.domid)
        let (ownerPort, borrowerPort) = try Self.connected(&table)
        #expect(borrowerPort == 2)
        #expect(
            try table.status(Self.owner, port: ownerPort) == .interdomain(remote: Self.borrower.domid, remotePort: 2))
        #expect(try table.status(Self.borrower, port: 2) == .interdomain(remote: Self.owner.domid, remotePort: 1))
    }

    @Test func bindingFailsUnlessTheRemotePortIsUnboundForTheBinder() throws {
        var table = SimulatedEventChannelTable()
        let forThird = try table.allocateUnbound(Self.owner, remote: Self.third.domid)
        let (ownerPort, _) = try Self.connected(&table)
        var errnos: [Int32?] = []
        for port in [forThird, 9, ownerPort] {
            errnos.append(
                Self.errno { _ = try table.bindInterdomain(Self.borrower, remote: Self.owner, remotePort: port) })
        }
        #expect(errnos == [EINVAL, EINVAL, EINVAL], "unbound for another domain, never allocated, already bound")
        #expect(table.domains[Self.borrower]?.count == 1, "a failed bind allocates nothing")
    }

    @Test func closingOneEndLeavesThePeerUnboundForTheCloser() throws {
        var table = SimulatedEventChannelTable()
        let (ownerPort, borrowerPort) = try Self.connected(&table)
        try table.close(Self.borrower, port: borrowerPort)
        #expect(try table.status(Self.borrower, port: borrowerPort) == .closed)
        #expect(try table.status(Self.owner, port: ownerPort) == .unbound(remote: Self.borrower.domid))
        let twice = Self.errno { try table.close(Self.borrower, port: borrowerPort) }
        let never = Self.errno { try table.close(Self.borrower, port: 7) }
        #expect(twice == EINVAL && never == EINVAL, "closing a closed port, and one never allocated")
        // The borrower meets the owner again on the same owner port.
        let again = try table.bindInterdomain(Self.borrower, remote: Self.owner, remotePort: ownerPort)
        #expect(again == borrowerPort)
    }

    @Test func aDeadDomainsPortsGoAndItsPeersWaitForItAgain() throws {
        var table = SimulatedEventChannelTable()
        let (ownerPort, _) = try Self.connected(&table)
        let unbound = try table.allocateUnbound(Self.third, remote: Self.owner.domid)
        let allAlive = table.reap(alive: [Self.owner, Self.borrower, Self.third])
        let borrowerDied = table.reap(alive: [Self.owner, Self.third])
        #expect(!allAlive && borrowerDied)
        #expect(table.domains[Self.borrower] == nil)
        #expect(try table.status(Self.owner, port: ownerPort) == .unbound(remote: Self.borrower.domid))
        #expect(try table.status(Self.third, port: unbound) == .unbound(remote: Self.owner.domid))
    }
}
