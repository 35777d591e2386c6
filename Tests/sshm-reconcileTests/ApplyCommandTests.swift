import Foundation
import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXen
import Testing

/// `apply`, `--once`, `plan`, `status` as an operator runs them, against a private xenstored.
@Suite("apply, plan and status")
struct ApplyCommandTests {
    static let manifest = """
        version: 1
        regions:
          - id: telemetry
            owner:
              domain: sensor-vm
              begin: 0x7fe00000
              size: 16KiB
            borrowers:
              - domain: logger-vm
                begin: 0x1000000000
              - domain: spare-vm
                begin: 0x1000000000
        """

    /// The domids of sensor-vm and logger-vm.
    @discardableResult
    static func prepare(_ world: HostWorld) throws -> (sensor: DomID, logger: DomID) {
        let sensor = try TestDomains.create("sensor-vm", in: world.store).domid
        let logger = try TestDomains.create("logger-vm", in: world.store).domid
        try world.manifest("10-telemetry.yaml", manifest)
        return (sensor, logger)
    }

    @Test(arguments: XenstoredSandbox.Daemon.allCases)
    func onceConvergesAndThenPlanReportsNoChanges(_ daemon: XenstoredSandbox.Daemon) async throws {
        try await HostWorld.with(daemon) { world in
            try Self.prepare(world)
            let planned = try await world.run(["plan", "--detailed-exitcode"])
            #expect(planned.status == 2, "\(planned.stderr)")
            #expect(planned.stdout.contains("+ map telemetry: borrower logger-vm"))
            let applied = try await world.run(["--once"])
            #expect(applied.status == 0, "\(applied.stderr)")
            #expect(applied.stdout.hasSuffix("Applied 2 of 2 changes; regions: 1 Pending.\n"))
            let again = try await world.run(["plan", "--detailed-exitcode"])
            #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
            #expect(
                again.stdout
                    == "No changes, but not everything matches the manifests: 1 region Pending (waiting for a domain).\n")
            #expect(try world.inconsistencies() == [])
        }
    }

    @Test func statusJSONListsConditionsWithDomidsAndNames() async throws {
        try await HostWorld.with { world in
            let (sensor, logger) = try Self.prepare(world)
            _ = try await world.run(["apply"])
            let status = try await world.run(["status", "--json"])
            #expect(status.status == 0)
            let document = try #require(
                try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
            #expect(document["format_version"] as? Int == 1)
            let regions = try #require(document["regions"] as? [[String: Any]])
            let region = try #require(regions.first)
            #expect(region["id"] as? String == "telemetry")
            #expect(region["condition"] as? String == "Pending")
            let conditions = try #require(region["conditions"] as? [[String: Any]])
            #expect(conditions.map { $0["type"] as? String } == ["Ready", "Pending"])
            #expect(conditions.map { $0["status"] as? String } == ["False", "True"])
            #expect(conditions.map { $0["reason"] as? String } == ["WaitingForBorrower", "WaitingForBorrower"])
            #expect(conditions.allSatisfy { ($0["last_transition_time"] as? String)?.hasSuffix("Z") == true })
            #expect((region["source"] as? String)?.hasSuffix("/sshm.d/10-telemetry.yaml") == true)
            let owner = try #require(region["owner"] as? [String: Any])
            #expect(owner["name"] as? String == "sensor-vm")
            #expect(owner["domid"] as? UInt32 == sensor.rawValue)
            let borrowers = try #require(region["borrowers"] as? [[String: Any]])
            #expect(borrowers.map { $0["state"] as? String } == ["mapped", "waiting"])
            #expect(borrowers.map { $0["domid"] as? UInt32 } == [logger.rawValue, nil])
        }
    }

    @Test func anInvalidManifestExits65AndTheValidOnesAreStillApplied() async throws {
        try await HostWorld.with { world in
            try Self.prepare(world)
            try world.manifest(
                "20-broken.yaml",
                "version: 1\nregions:\n  - id: broken\n    owner: {domain: x, begin: 0x1001, size: 4KiB}\n")
            let applied = try await world.run(["apply"])
            #expect(applied.status == 65)
            #expect(applied.stderr.contains("20-broken.yaml:4:"))
            #expect(try world.store.read("/libxl/static_shm/telemetry/slaves", in: nil) != nil)
        }
    }

    @Test func applyWhileTheDaemonHoldsTheLockExits75AndNamesTheReload() async throws {
        try await HostWorld.with { world in
            try Self.prepare(world)
            let lock = try StateLock(directory: world.stateDirectory, holder: .daemon)
            let second = try await world.run(["apply"])
            #expect(second.status == 75)
            #expect(
                second.stderr
                    == "sshm-reconcile: the sshm-reconcile daemon (pid \(getpid())) holds \(world.stateDirectory)/lock "
                    + "and applies every change itself; to make it re-read the manifests now, run: "
                    + "systemctl reload sshm-reconcile\n")
            withExtendedLifetime(lock) {}
        }
    }

    @Test func aSecondApplyWhileTheLockIsHeldExits75() async throws {
        try await HostWorld.with { world in
            try Self.prepare(world)
            let lock = try StateLock(directory: world.stateDirectory, holder: .apply)
            let second = try await world.run(["apply"])
            #expect(second.status == 75)
            #expect(
                second.stderr
                    == "sshm-reconcile: another sshm-reconcile apply (pid \(getpid())) holds "
                    + "\(world.stateDirectory)/lock; try again when it is done\n")
            withExtendedLifetime(lock) {}
            // plan and status take no lock.
            #expect(try await world.run(["plan"]).status == 0)
            #expect(try await world.run(["status"]).status == 0)
        }
    }

    @Test func anUnreachableXenstoreExits69() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try await BuiltTool.run(
            [
                "apply", "--hypervisor", "simulated", "--config-dir", directory.path, "--state-dir",
                directory.path + "/s",
            ],
            environment: ["XENSTORED_PATH": directory.path + "/no-socket"])
        #expect(result.status == 69)
        #expect(result.stderr.contains("is xenstored running?"))
    }
}
