import Foundation
import SSHMCore
import SSHMTestSupport
import Testing

@testable import SSHMReconcile

/// The simulator's event channels over xenstore's domains and the state file beside its mappings.
struct SimulatedHypervisorEventChannelsTests {
    /// An owner and a borrower domain, a simulator over them, and the state directory (removed afterwards).
    static func with(_ body: (InMemoryXenStore, SimulatedHypervisor, TestDomain, TestDomain, String) throws -> Void)
        throws
    {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = InMemoryXenStore()
        defer { store.close() }
        try TestDomains.createDom0(in: store)
        let owner = try TestDomains.create("owner", in: store)
        let borrower = try TestDomains.create("borrower", in: store)
        let stateFile = directory.path + "/simulated.json"
        try body(store, SimulatedHypervisor(store: store, stateFile: stateFile), owner, borrower, stateFile)
    }

    /// The owner's port unbound for the borrower, bound by the borrower: (owner port, borrower port).
    static func connect(_ simulator: SimulatedHypervisor, _ owner: TestDomain, _ borrower: TestDomain) throws -> (
        UInt32, UInt32
    ) {
        let ownerPort = try simulator.allocateUnboundEventChannel(domain: owner.domid, remote: borrower.domid)
        let borrowerPort = try simulator.bindInterdomainEventChannel(
            domain: borrower.domid, remote: owner.domid, remotePort: ownerPort)
        return (ownerPort, borrowerPort)
    }

    static func error(_ body: () throws -> Void) -> HypervisorError? {
        do {
            try body()
            return nil
        } catch {
            return error as? HypervisorError
        }
    }

    @Test func aBorrowersDeathClosesItsPortAndTheOwnersWaitsForItAgain() throws {
        try Self.with { store, simulator, owner, borrower, _ in
            let (ownerPort, borrowerPort) = try Self.connect(simulator, owner, borrower)
            try TestDomains.destroy(borrower, in: store)
            #expect(
                try simulator.eventChannelStatus(domain: owner.domid, port: ownerPort)
                    == .unbound(remote: borrower.domid))
            let gone = Self.error { _ = try simulator.eventChannelStatus(domain: borrower.domid, port: borrowerPort) }
            #expect(gone?.code == .domainGone)
            #expect(
                gone?.description.contains("dom\(borrower.domid), port \(borrowerPort)") == true,
                "\(String(describing: gone))")
            let bind = Self.error {
                _ = try simulator.bindInterdomainEventChannel(
                    domain: owner.domid, remote: borrower.domid, remotePort: borrowerPort)
            }
            #expect(bind?.code == .domainGone, "binding to a dead domain's port")
        }
    }

    @Test func aDomidRecreatedUnderANewUUIDStartsWithoutPorts() throws {
        try Self.with { store, simulator, owner, borrower, _ in
            let (ownerPort, borrowerPort) = try Self.connect(simulator, owner, borrower)
            try TestDomains.destroy(borrower, in: store)
            let reborn = try TestDomains.create("borrower", domid: borrower.domid, in: store)
            #expect(reborn.uuid != borrower.uuid)
            let stale = Self.error { _ = try simulator.eventChannelStatus(domain: reborn.domid, port: borrowerPort) }
            #expect(stale?.code == .invalid, "the old incarnation's port is not the new one's")
            #expect(
                try simulator.eventChannelStatus(domain: owner.domid, port: ownerPort)
                    == .unbound(remote: borrower.domid))
            // The new incarnation meets the owner on the port the owner still holds.
            let port = try simulator.bindInterdomainEventChannel(
                domain: reborn.domid, remote: owner.domid, remotePort: ownerPort)
            #expect(
                try simulator.eventChannelStatus(domain: owner.domid, port: ownerPort)
                    == .interdomain(remote: reborn.domid, remotePort: port))
        }
    }

    @Test func aUUIDChangeWithoutTheDomainLeavingXenstoreIsADeathToo() throws {
        try Self.with { store, simulator, owner, borrower, _ in
            let (ownerPort, _) = try Self.connect(simulator, owner, borrower)
            try store.write(borrower.path.appending("vm"), "/vm/\(TestDomains.randomUUID())", in: nil)
            #expect(
                try simulator.eventChannelStatus(domain: owner.domid, port: ownerPort)
                    == .unbound(remote: borrower.domid))
        }
    }

    @Test func anotherSimulatorOnTheSameStateFileSeesEveryChangeAtOnce() throws {
        try Self.with { store, simulator, owner, borrower, stateFile in
            // What another process would be: nothing is cached between calls.
            let guest = SimulatedHypervisor(store: store, stateFile: stateFile)
            let ownerPort = try guest.allocateUnboundEventChannel(domain: owner.domid, remote: borrower.domid)
            #expect(
                try simulator.eventChannelStatus(domain: owner.domid, port: ownerPort)
                    == .unbound(remote: borrower.domid))
            let borrowerPort = try simulator.bindInterdomainEventChannel(
                domain: borrower.domid, remote: owner.domid, remotePort: ownerPort)
            #expect(
                try guest.eventChannelStatus(domain: owner.domid, port: ownerPort)
                    == .interdomain(remote: borrower.domid, remotePort: borrowerPort))
            try guest.closeEventChannel(domain: owner.domid, port: ownerPort)
            #expect(
                try simulator.eventChannelStatus(domain: borrower.domid, port: borrowerPort)
                    == .unbound(remote: owner.domid))
            #expect(try SimulatedEventChannelFile.read(path: stateFile + ".evtchn").domains.count == 2)
        }
    }

    @Test func aStateFileThatIsNotTheSimulatorsIsAnErrorThatSaysWhatToDo() throws {
        try Self.with { _, simulator, owner, _, stateFile in
            try Data("{\"borrowers\":[]}".utf8).write(to: URL(fileURLWithPath: stateFile + ".evtchn"))
            let error = Self.error { _ = try simulator.eventChannelStatus(domain: owner.domid, port: 1) }
            #expect(error?.description.contains("move it away to start from nothing") == true)
        }
    }
}
