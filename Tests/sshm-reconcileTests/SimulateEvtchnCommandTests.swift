import Foundation
import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXenTestSupport
import Testing

/// The hidden `simulate-evtchn` commands: each call a process of its own, as simulated guests in the tests and the
/// demo make them, meeting only through the state file.
@Suite("simulate-evtchn")
struct SimulateEvtchnCommandTests {
    /// Runs one call and returns its stdout without the newline; records an issue when it did not exit 0.
    static func call(_ world: HostWorld, _ arguments: [String]) async throws -> String {
        let run = try await world.run(["simulate-evtchn"] + arguments)
        #expect(run.status == 0, "\(arguments): \(run.stderr)")
        return run.stdout.trimmingCharacters(in: .newlines)
    }

    @Test func twoGuestsMeetInSeparateProcessesAndAClosedEndLeavesItsPeerUnbound() async throws {
        try await HostWorld.with { world in
            let owner = try TestDomains.create("owner", in: world.store).domid
            let borrower = try TestDomains.create("borrower", in: world.store).domid
            let ownerPort = try await Self.call(
                world, ["alloc-unbound", "--domain", "\(owner)", "--remote", "\(borrower)"])
            #expect(ownerPort == "1")
            #expect(
                try await Self.call(world, ["status", "--domain", "\(owner)", "--port", "1"]) == "unbound \(borrower)")
            let borrowerPort = try await Self.call(
                world, ["bind", "--domain", "\(borrower)", "--remote", "\(owner)", "--remote-port", ownerPort])
            #expect(
                try await Self.call(world, ["status", "--domain", "\(owner)", "--port", ownerPort])
                    == "interdomain \(borrower) \(borrowerPort)")
            #expect(try await Self.call(world, ["close", "--domain", "\(borrower)", "--port", borrowerPort]) == "")
            #expect(
                try await Self.call(world, ["status", "--domain", "\(borrower)", "--port", borrowerPort]) == "closed")
            #expect(
                try await Self.call(world, ["status", "--domain", "\(owner)", "--port", ownerPort])
                    == "unbound \(borrower)")
        }
    }

    @Test func aRefusedCallExitsOneWithTheDomainAndPortInItsError() async throws {
        try await HostWorld.with { world in
            let run = try await world.run(["simulate-evtchn", "status", "--domain", "0", "--port", "5"])
            #expect(run.status == 1)
            #expect(run.stderr.contains("xc_evtchn_status (dom0, port 5): Invalid argument (EINVAL"), "\(run.stderr)")
            let bind = try await world.run([
                "simulate-evtchn", "bind", "--domain", "0", "--remote", "4000", "--remote-port", "1",
            ])
            #expect(bind.status == 1)
            #expect(bind.stderr.contains("(dom4000, port 1): No such process (ESRCH"), "\(bind.stderr)")
        }
    }

    @Test func itActsOnlyOnTheSimulatorAndIsHiddenFromHelp() async throws {
        let real = try await BuiltTool.run(["simulate-evtchn", "status", "--domain", "0", "--port", "1"])
        #expect(real.status == 64)
        #expect(real.stderr.contains("add --hypervisor simulated"), "\(real.stderr)")
        let help = try await BuiltTool.run(["--help"])
        #expect(!help.stdout.contains("simulate-evtchn"))
    }
}
