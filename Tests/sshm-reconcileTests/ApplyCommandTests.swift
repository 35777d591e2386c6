import Foundation
import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXen
import SSHMXenTestSupport
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
                    == "No changes, but not everything matches the manifests: 1 region Pending (waiting for a domain).\n"
            )
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

    @Test func quietStillSaysWhichRegionIsDegraded() async throws {
        try await HostWorld.with { world in
            try Self.prepare(world)
            let applied = try await world.run(["apply", "-q"], faults: "fail-call=1")
            #expect(applied.status != 0)
            let lines = applied.stdout.split(separator: "\n")
            #expect(lines.count == 1, "\(applied.stdout)")
            #expect(lines.first?.hasPrefix("telemetry: Degraded (HypervisorError): ") == true, "\(applied.stdout)")
            let clean = try await world.run(["apply", "-q"])
            #expect(clean.stdout.isEmpty, "\(clean.stdout)")
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

/// The headlines of `plan` and `apply`, and `status` as scripts and people narrow it.
@Suite("headlines and status views")
struct HeadlineTests {
    @Test func planWithAnInvalidManifestSaysSoInsteadOfMatching() async throws {
        try await HostWorld.with { world in
            try world.manifest("20-broken.yaml", "version: 1\nregions:\n  - id: broken\n")
            let planned = try await world.run(["plan", "--detailed-exitcode"])
            #expect(planned.status == 65)
            #expect(planned.stdout == "No changes, but not everything matches the manifests: 1 manifest is invalid.\n")
        }
    }

    @Test func planWithAFailedRegionExitsOneAndNamesIt() async throws {
        try await HostWorld.with { world in
            try TestDomains.create("camera-vm", in: world.store)
            try TestDomains.create("preview-vm", in: world.store)
            try world.manifest(
                "10-frames.yaml",
                """
                version: 1
                regions:
                  - id: frames
                    owner: {domain: camera-vm, begin: 0x80000000, size: 16KiB}
                    borrowers: [{domain: preview-vm, begin: 0x2000000000}]
                """)
            #expect(try await world.run(["apply", "--sim-policy", "stock"]).status == 1)
            let planned = try await world.run(["plan", "--detailed-exitcode", "--sim-policy", "stock"])
            #expect(planned.status == 1)
            #expect(
                planned.stdout
                    == "No changes, but not everything matches the manifests: "
                    + "1 region Failed (`sshm-reconcile status` says why).\n")
        }
    }

    @Test func applyWithAnInvalidManifestSaysItsRegionsWereLeftAlone() async throws {
        try await HostWorld.with { world in
            try world.manifest("20-broken.yaml", "version: 1\nregions:\n  - id: broken\n")
            let applied = try await world.run(["apply"])
            #expect(applied.status == 65)
            #expect(
                applied.stdout
                    == "No changes were needed; regions: none. 1 manifest is invalid: its regions were left as they are.\n"
            )
        }
    }

    @Test func statusShowsOnlyTheRegionsNamedAndRefusesAnUnknownOne() async throws {
        try await HostWorld.with { world in
            try ApplyCommandTests.prepare(world)
            try world.manifest(
                "20-other.yaml",
                "version: 1\nregions:\n  - id: other\n    owner: {domain: sensor-vm, begin: 0x9000000, size: 4KiB}\n")
            _ = try await world.run(["apply"])
            let one = try await world.run(["status", "other"])
            #expect(one.status == 0, "\(one.stderr)")
            #expect(one.stdout.contains("\nother "))
            #expect(!one.stdout.contains("telemetry"))
            #expect(one.stdout.hasSuffix("\n1 Ready\n"))
            let unknown = try await world.run(["status", "nosuch"])
            #expect(unknown.status == 64)
            #expect(unknown.stderr.contains("no region 'nosuch'"))
        }
    }

    @Test func wideStatusAddsReasonSinceSourceAndViews() async throws {
        try await HostWorld.with { world in
            try ApplyCommandTests.prepare(world)
            _ = try await world.run(["apply"])
            let wide = try await world.run(["status", "-o", "wide"])
            let lines = wide.stdout.split(separator: "\n")
            #expect(
                lines[1].split(separator: " ", omittingEmptySubsequences: true).map(String.init) == [
                    "REGION", "CONDITION", "OWNER", "BORROWERS", "REASON", "SINCE", "SOURCE", "VIEWS", "MESSAGE",
                ])
            #expect(lines[2].contains(" WaitingForBorrower "))
            #expect(lines[2].contains("/sshm.d/10-telemetry.yaml  in place "))

            let borrower = try #require(try world.store.directory("/libxl/static_shm/telemetry/slaves", in: nil)?.first)
            try world.store.remove(XenStorePath("/local/domain/\(borrower)/static_shm/telemetry"), in: nil)
            let drifted = try await world.run(["status", "-o", "wide"]).stdout.split(separator: "\n")
            #expect(drifted[2].contains("(dom\(borrower)) missing "))
        }
    }
}

/// `apply --metrics-textfile`: what a timer's pass tells node_exporter.
@Suite("metrics of one pass")
struct PassMetricsTests {
    @Test func aPassWritesHelpedGaugesAndAFailedOneKeepsTheLastSuccessTime() async throws {
        try await HostWorld.with { world in
            try ApplyCommandTests.prepare(world)
            let path = world.directory.path + "/sshm.prom"
            #expect(try await world.run(["--once", "--metrics-textfile", path]).status == 0)
            let first = try String(contentsOfFile: path, encoding: .utf8)
            let lines = first.split(separator: "\n").map(String.init)
            for name in [
                "sshm_reconcile_last_success_timestamp_seconds", "sshm_reconcile_regions",
                "sshm_reconcile_last_pass_duration_seconds", "sshm_reconcile_last_pass_failed_actions",
            ] {
                #expect(lines.contains { $0.hasPrefix("# HELP \(name) ") }, "\(name) has no # HELP line")
                #expect(lines.contains("# TYPE \(name) gauge"))
            }
            #expect(lines.contains("sshm_reconcile_regions{condition=\"Pending\"} 1"))
            #expect(lines.contains("sshm_reconcile_regions{condition=\"Ready\"} 0"))
            #expect(lines.contains("sshm_reconcile_last_pass_failed_actions 0"))
            let success = try #require(lines.first { $0.hasPrefix("sshm_reconcile_last_success_timestamp_seconds ") })

            // spare-vm starts, and stock Xen refuses a domU borrower: the pass fails, the last success stays.
            try TestDomains.create("spare-vm", in: world.store)
            let failed = try await world.run(["--once", "--sim-policy", "stock", "--metrics-textfile", path])
            #expect(failed.status == 1)
            let second = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(second.contains(success))
            #expect(second.contains("sshm_reconcile_last_pass_failed_actions 1"))
            #expect(second.contains("sshm_reconcile_regions{condition=\"Failed\"} 1"))
        }
    }
}
