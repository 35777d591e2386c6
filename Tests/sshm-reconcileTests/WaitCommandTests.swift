import Foundation
import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXen
import SSHMXenTestSupport
import Testing

/// `sshm-reconcile wait` as a subprocess against a private xenstored, beside the daemon and after `--once`.
@Suite("wait")
struct WaitCommandTests {
    static let telemetry = DaemonTests.manifest()

    /// `/local/domain/<domid>/static_shm/telemetry/state`.
    static func view(_ domain: TestDomain, _ region: String = "telemetry") -> XenStorePath {
        domain.path.appending("static_shm/\(region)/state")
    }

    /// sensor-vm, logger-vm and the telemetry region, applied once; returns (sensor, logger).
    static func applied(_ world: HostWorld, policy: String = "permissive") async throws -> (TestDomain, TestDomain) {
        let sensor = try TestDomains.create("sensor-vm", in: world.store)
        let logger = try TestDomains.create("logger-vm", in: world.store)
        try world.manifest("10-telemetry.yaml", telemetry)
        let apply = try await world.run(["apply", "--sim-policy", policy])
        #expect(apply.status == (policy == "stock" ? 1 : 0), "\(apply.stderr)")
        return (sensor, logger)
    }

    @Test(arguments: XenstoredSandbox.Daemon.allCases)
    func returnsOnceTheBorrowersViewTurnsMappedAndNotBefore(_ daemon: XenstoredSandbox.Daemon) async throws {
        try await HostWorld.with(daemon) { world in
            let (_, logger) = try await Self.applied(world)
            // Back to the intent: the record says mapped, the guest's view not yet.
            try world.store.write(Self.view(logger), "mapping", in: nil)
            let early = try await world.run(["wait", "--domain", "logger-vm", "--timeout", "200ms"])
            #expect(early.status == 75, "\(early.stderr)")
            #expect(
                early.stderr
                    == "sshm-reconcile: still missing after 200ms: telemetry: borrower logger-vm (dom\(logger.domid)) "
                    + "has its guest view at mapping.\n")
            async let waited = world.run(["wait", "--domain", "\(logger.domid)", "--timeout", "20s"])
            try world.store.write(Self.view(logger), "mapped", in: nil)
            let run = try await waited
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout == "telemetry: borrower logger-vm (dom\(logger.domid)) mapped\n")
        }
    }

    @Test(arguments: XenstoredSandbox.Daemon.allCases)
    func returnsAsSoonAsTheDaemonMapsADomainCreatedAfterTheWaitBegan(_ daemon: XenstoredSandbox.Daemon) async throws {
        try await HostWorld.with(daemon) { world in
            let sensor = try TestDomains.create("sensor-vm", in: world.store)
            try world.manifest("10-telemetry.yaml", Self.telemetry)
            _ = try await DaemonProcess.with(world, ["--no-local-domain-watch"]) { daemon in
                #expect(try await poll(within: .seconds(10)) { daemon.count("Pending") > 0 }, "\(daemon.log)")
                async let waited = world.run(["wait", "--domain", "logger-vm", "--region", "telemetry", "--json"])
                let logger = try TestDomains.create("logger-vm", in: world.store)
                let run = try await waited
                #expect(run.status == 0, "\(run.stderr)\n\(daemon.log)")
                #expect(try world.store.read(Self.view(logger), in: nil) == "mapped")
                let read = try await JSONOutputTests.consume([("wait", run.stdout)], in: world.directory)
                #expect(read.status == 0, "\(read.stderr)")
                #expect(
                    read.stdout.split(separator: "\n").sorted() == [
                        "part telemetry borrower logger-vm(dom\(logger.domid)) in_place=True",
                        "part telemetry owner sensor-vm(dom\(sensor.domid)) in_place=True",
                        "wait ready",
                    ])
            }
        }
    }

    @Test(arguments: XenstoredSandbox.Daemon.allCases)
    func returnsAtOnceAfterOnceForEveryPartInPlace(_ daemon: XenstoredSandbox.Daemon) async throws {
        try await HostWorld.with(daemon) { world in
            let (sensor, logger) = try await Self.applied(world)
            let run = try await world.run(["wait", "--domain", "sensor-vm", "--domain", "logger-vm", "--timeout", "5s"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(
                run.stdout == """
                    telemetry: owner sensor-vm (dom\(sensor.domid)) recorded
                    telemetry: borrower logger-vm (dom\(logger.domid)) mapped

                    """)
        }
    }

    @Test func exitsOneWithTheMessageWhenTheDaemonRefusesTheRegionWhileItWaits() async throws {
        try await HostWorld.with { world in
            try TestDomains.create("sensor-vm", in: world.store)
            try world.manifest("10-telemetry.yaml", Self.telemetry)
            _ = try await DaemonProcess.with(world, ["--no-local-domain-watch", "--sim-policy", "stock"]) { daemon in
                #expect(try await poll(within: .seconds(10)) { daemon.count("Pending") > 0 }, "\(daemon.log)")
                async let waited = world.run(["wait", "--domain", "logger-vm", "--timeout", "20s"])
                try TestDomains.create("logger-vm", in: world.store)
                let run = try await waited
                #expect(run.status == 1, "\(run.stderr)\n\(daemon.log)")
                #expect(run.stderr.hasPrefix("sshm-reconcile: telemetry: simulated Xen 4.17 (stock)"), "\(run.stderr)")
                #expect(run.stderr.contains("stock Xen maps only into dom0"), "\(run.stderr)")
            }
        }
    }

    @Test func exitsOneAfterOnceForARefusedPartButZeroForThePartsInPlaceBesideIt() async throws {
        try await HostWorld.with { world in
            // Stock Xen maps into dom0 and refuses logger-vm: the region is Failed, dom0's part stays mapped.
            let sensor = try TestDomains.create("sensor-vm", in: world.store)
            try TestDomains.create("logger-vm", in: world.store)
            try world.manifest(
                "10-telemetry.yaml",
                Self.telemetry + "      - domain: Domain-0\n        begin: 0x2000000000\n")
            #expect(try await world.run(["apply", "--sim-policy", "stock"]).status == 1)
            let refused = try await world.run(["wait", "--domain", "logger-vm", "--timeout", "20s"])
            #expect(refused.status == 1, "\(refused.stderr)")
            #expect(refused.stderr.contains("refused to map"), "\(refused.stderr)")
            let region = try await world.run(["wait", "--region", "telemetry", "--timeout", "20s"])
            #expect(region.status == 1, "\(region.stderr)")
            let inPlace = try await world.run(
                ["wait", "--domain", "Domain-0", "--domain", "sensor-vm", "--timeout", "20s"])
            #expect(inPlace.status == 0, "\(inPlace.stderr)")
            #expect(
                inPlace.stdout == """
                    telemetry: borrower Domain-0 (dom0) mapped
                    telemetry: owner sensor-vm (dom\(sensor.domid)) recorded

                    """)
        }
    }

    @Test func exitsSixtyFourForANameOrRegionNoManifestMentions() async throws {
        try await HostWorld.with { world in
            _ = try await Self.applied(world)
            try TestDomains.create("stranger", in: world.store)
            let run = try await world.run(["wait", "--domain", "stranger", "--region", "nope"])
            #expect(run.status == 64)
            #expect(
                run.stderr
                    == "sshm-reconcile: no manifest in \(world.configDirectory) mentions domain stranger; region nope: "
                    + "name a domain or region a manifest declares.\n")
            let nothing = try await world.run(["wait"])
            #expect(nothing.status == 64)
            #expect(nothing.stderr.contains("name what to wait for"), "\(nothing.stderr)")
            let bad = try await world.run(["wait", "--domain", "a b"])
            #expect(bad.status == 64)
        }
    }

    @Test func exitsSixtyFiveForARegionWhoseManifestIsInvalid() async throws {
        try await HostWorld.with { world in
            _ = try await Self.applied(world)
            try world.manifest("10-telemetry.yaml", "version: 1\nregions: [oops\n")
            for target in [["--region", "telemetry"], ["--domain", "logger-vm"]] {
                let run = try await world.run(["wait"] + target)
                #expect(run.status == 65, "\(run.stderr)")
                #expect(
                    run.stderr.hasSuffix(
                        "sshm-reconcile: telemetry: its manifest \(world.configDirectory)/10-telemetry.yaml is invalid "
                            + "and the region is Frozen: fix it (`sshm-reconcile validate`).\n"), "\(run.stderr)")
            }
        }
    }

    @Test func writesNothingAndTakesNoLock() async throws {
        try await HostWorld.with { world in
            _ = try await Self.applied(world)
            let before = try Self.tree(world.store, "/")
            let lock = try StateLock(directory: world.stateDirectory, holder: .daemon)
            let run = try await world.run(["wait", "--region", "telemetry", "--timeout", "5s"])
            withExtendedLifetime(lock) {}
            #expect(run.status == 0, "\(run.stderr)")
            #expect(try Self.tree(world.store, "/") == before)
        }
    }

    /// Every node below `path` with its value.
    static func tree(_ store: LibXenStore, _ path: XenStorePath) throws -> [String: String] {
        var nodes = [path.rawValue: try store.read(path, in: nil) ?? ""]
        for child in try store.directory(path, in: nil) ?? [] {
            nodes.merge(try tree(store, path.appending(child))) { first, _ in first }
        }
        return nodes
    }
}
