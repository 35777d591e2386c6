import Foundation
import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXen
import SSHMXenTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `sshm-reconcile daemon` as a subprocess against a private xenstored: watches, config changes, signals, and a
/// xenstored that goes away.
@Suite("Daemon")
struct DaemonTests {
    static func manifest(
        id: String = "telemetry", borrower: String = "logger-vm", owner: String = "0x7fe00000",
        at: String = "0x1000000000"
    ) -> String {
        """
        version: 1
        regions:
          - id: \(id)
            owner:
              domain: sensor-vm
              begin: \(owner)
              size: 16KiB
            borrowers:
              - domain: \(borrower)
                begin: \(at)

        """
    }

    /// sensor-vm and logger-vm running, and the telemetry region between them declared; returns logger-vm.
    static func telemetry(in world: HostWorld) throws -> TestDomain {
        try TestDomains.create("sensor-vm", in: world.store)
        let logger = try TestDomains.create("logger-vm", in: world.store)
        try world.manifest("10-telemetry.yaml", manifest())
        return logger
    }

    static func state(_ world: HostWorld, _ region: String, _ domain: TestDomain) throws -> String? {
        try world.store.read(XenStorePath("/libxl/static_shm/\(region)/slaves/\(domain.domid)/state"), in: nil)
    }

    @Test(arguments: XenstoredSandbox.Daemon.allCases)
    func mapsABorrowerWhenItIsIntroducedAndForgetsItWhenItIsReleased(_ daemon: XenstoredSandbox.Daemon) async throws {
        try await HostWorld.with(daemon) { world in
            try TestDomains.create("sensor-vm", in: world.store)
            try world.manifest("10-telemetry.yaml", Self.manifest())
            let status = try await DaemonProcess.with(world, ["--no-local-domain-watch"]) { daemon in
                #expect(try await poll(within: .seconds(10)) { daemon.count("Pending") > 0 }, "\(daemon.log)")
                let logger = try TestDomains.create("logger-vm", in: world.store)
                #expect(try await poll(within: .seconds(10)) { try Self.state(world, "telemetry", logger) == "mapped" })
                try TestDomains.destroy(logger, in: world.store)
                #expect(try await poll(within: .seconds(10)) { try Self.state(world, "telemetry", logger) == nil })
                let again = try TestDomains.create("logger-vm", in: world.store)
                #expect(try await poll(within: .seconds(10)) { try Self.state(world, "telemetry", again) == "mapped" })
                #expect(try world.inconsistencies() == [])
            }
            #expect(status == 0)
        }
    }

    @Test(arguments: [true, false])
    func aGuestWritableNodeWakesTheDaemonOnlyInSimulation(_ realHost: Bool) async throws {
        try await HostWorld.with { world in
            let logger = try Self.telemetry(in: world)
            _ = try await DaemonProcess.with(world, realHost ? ["--no-local-domain-watch"] : []) { daemon in
                #expect(try await poll(within: .seconds(10)) { try Self.state(world, "telemetry", logger) == "mapped" })
                #expect(try await poll(within: .seconds(10)) { daemon.count("pass done") >= 2 })
                let before = daemon.count("read=domains")
                let passes = daemon.count("pass done")
                // A guest writes its own data node, then something wakes the daemon for sure: a write to our tree.
                try world.store.write(logger.path.appending("data/greeting"), "hello", in: nil)
                try world.store.write("/tool/sshm-reconcile/nudge", "1", in: nil)
                #expect(try await poll(within: .seconds(10)) { daemon.count("pass done") > passes })
                let rescanned = daemon.count("read=domains") > before
                #expect(rescanned == !realHost, "\(daemon.log)")
            }
        }
    }

    /// The view's `begin` and `offset` and the permissions of the view and the record, as one comparable text.
    static func viewAndRecord(_ world: HostWorld, _ domain: TestDomain) throws -> String {
        let view = domain.path.appending("static_shm").appending("telemetry")
        let begin = try world.store.read(view.appending("begin"), in: nil) ?? "missing"
        let offset = try world.store.read(view.appending("offset"), in: nil) ?? "missing"
        let permissions = try world.store.permissions(view, in: nil)?.map(\.description) ?? []
        let record = try world.store.permissions("/libxl/static_shm/telemetry", in: nil)?.map(\.description) ?? []
        return "begin=\(begin) offset=\(offset) view=\(permissions.joined(separator: ",")) "
            + "record=\(record.joined(separator: ","))"
    }

    /// What another dom0 tool might do to a view: change a value, delete another, change the permissions.
    static func tamper(_ world: HostWorld, _ domain: TestDomain) throws {
        let view = domain.path.appending("static_shm").appending("telemetry")
        try world.store.write(view.appending("begin"), "0x0", in: nil)
        try world.store.remove(view.appending("offset"), in: nil)
        try world.store.setPermissions(view, [XenStorePermission(domid: 0, access: .read)], in: nil)
    }

    /// On a real host nothing wakes the daemon when a dom0 tool changes a view (it does not watch `/local/domain`):
    /// its resync reads every view back and repairs it. A record's permissions changed wake it through its watch.
    @Test(arguments: XenstoredSandbox.Daemon.allCases)
    func theResyncRepairsAViewAndARecordChangedByHand(_ daemon: XenstoredSandbox.Daemon) async throws {
        try await HostWorld.with(daemon) { world in
            let logger = try Self.telemetry(in: world)
            let converged = "begin=0x1000000000 offset=0x0 view=n0,r\(logger.domid) record=n0"
            let status = try await DaemonProcess.with(world, ["--no-local-domain-watch", "--resync", "1s"]) { daemon in
                #expect(try await poll(within: .seconds(10)) { try Self.viewAndRecord(world, logger) == converged })
                let resyncs = daemon.count("read=full")
                try Self.tamper(world, logger)
                #expect(try Self.viewAndRecord(world, logger) != converged)
                #expect(try await poll(within: .seconds(10)) { try Self.viewAndRecord(world, logger) == converged })
                let resynced = try await poll(within: .seconds(10)) { daemon.count("read=full") > resyncs }
                #expect(resynced, "repaired by a resync: \(daemon.log)")
                try world.store.setPermissions(
                    "/libxl/static_shm/telemetry", [XenStorePermission(domid: 0, access: .read)], in: nil)
                #expect(try await poll(within: .seconds(10)) { try Self.viewAndRecord(world, logger) == converged })
                #expect(try world.inconsistencies() == [])
            }
            #expect(status == 0)
        }
    }

    @Test func followsTheConfigDirAddingPruningAndFreezing() async throws {
        try await HostWorld.with { world in
            let logger = try Self.telemetry(in: world)
            let status = try await DaemonProcess.with(world) { daemon in
                #expect(try await poll(within: .seconds(10)) { try Self.state(world, "telemetry", logger) == "mapped" })
                try world.manifest("20-ring.yaml", Self.manifest(id: "ring", owner: "0x7fd00000", at: "0x2000000000"))
                #expect(try await poll(within: .seconds(10)) { try Self.state(world, "ring", logger) == "mapped" })
                // Broken: frozen, nothing removed.
                try world.manifest("20-ring.yaml", "version: 1\nregions: [oops\n")
                #expect(try await poll(within: .seconds(10)) { daemon.count("Frozen") > 0 }, "\(daemon.log)")
                #expect(try Self.state(world, "ring", logger) == "mapped")
                // Deleted: pruned.
                try FileManager.default.removeItem(atPath: world.configDirectory + "/20-ring.yaml")
                let pruned = try await poll(within: .seconds(10)) {
                    try world.store.read("/libxl/static_shm/ring", in: nil) == nil
                }
                #expect(pruned)
                #expect(try Self.state(world, "telemetry", logger) == "mapped")
                // SIGHUP reloads.
                daemon.signal(SIGHUP)
                #expect(try await poll(within: .seconds(10)) { daemon.count("SIGHUP: reloading") == 1 })
                #expect(try world.inconsistencies() == [])
            }
            #expect(status == 0)
        }
    }

    @Test func writesPrometheusMetricsAfterEveryPassAndLogsJSONWhenAsked() async throws {
        try await HostWorld.with { world in
            let logger = try Self.telemetry(in: world)
            let metrics = world.directory.path + "/sshm.prom"
            _ = try await DaemonProcess.with(world, ["--metrics-textfile", metrics, "--log-format", "json"]) { daemon in
                #expect(try await poll(within: .seconds(10)) { try Self.state(world, "telemetry", logger) == "mapped" })
                let written = try await poll(within: .seconds(10)) {
                    let text = (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? ""
                    return text.contains("sshm_reconcile_regions{condition=\"Ready\"} 1")
                }
                #expect(written)
                let text = try String(contentsOfFile: metrics, encoding: .utf8)
                #expect(text.contains("sshm_reconcile_passes_total"))
                #expect(text.contains("sshm_reconcile_actions_total{kind=\"map\",result=\"success\"} 2"))
                #expect(text.contains("sshm_reconcile_pass_duration_seconds_bucket"))
                #expect(text.contains("sshm_reconcile_last_success_timestamp_seconds"))
                // Every log line is one JSON object with the region as metadata.
                let lines = daemon.log.split(separator: "\n")
                #expect(!lines.isEmpty)
                for line in lines {
                    let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
                    #expect(object?["level"] != nil && object?["message"] != nil, "\(line)")
                }
                #expect(lines.contains { $0.contains("\"region\":\"telemetry\"") })
            }
        }
    }

    @Test func exitsZeroOnSIGTERMQuicklyAndLeavesEverythingMapped() async throws {
        try await HostWorld.with { world in
            let logger = try Self.telemetry(in: world)
            let status = try await DaemonProcess.with(world) { daemon in
                #expect(try await poll(within: .seconds(10)) { try Self.state(world, "telemetry", logger) == "mapped" })
                daemon.signal(SIGTERM)
                let gone = try await poll(within: .seconds(2)) {
                    kill(daemon.pid, 0) != 0 || DaemonProcess.isZombie(daemon.pid)
                }
                #expect(gone, "still running 2 s after SIGTERM")
            }
            #expect(status == 0)
            #expect(try Self.state(world, "telemetry", logger) == "mapped")
            #expect(try world.inconsistencies() == [])
        }
    }

    /// The watch connection dies with xenstored: it is logged once, counted, opened again with its watches, and the
    /// changes made afterwards are reconciled.
    @Test func reconnectsAfterXenstoredIsRestartedAndConvergesAgain() async throws {
        try await HostWorld.with { world in
            let logger = try Self.telemetry(in: world)
            let metrics = world.directory.path + "/sshm.prom"
            let restarts = "sshm_reconcile_watcher_restarts_total{watcher=\"xenstore\"}"
            let status = try await DaemonProcess.with(world, ["--metrics-textfile", metrics]) { daemon in
                #expect(try await poll(within: .seconds(10)) { try Self.state(world, "telemetry", logger) == "mapped" })
                // The file is written after the pass that mapped the region.
                #expect(try await poll(within: .seconds(10)) { Self.text(of: metrics).contains("\(restarts) 0") })
                try await world.sandbox.restart()
                // A fresh xenstored is empty, as after a host reboot: the toolstack writes its domains again.
                let mapped = try await Self.recreateAndWait(socketPath: world.sandbox.socketPath)
                #expect(mapped, "\(daemon.log)")
                #expect(daemon.count("xenstore watch connection lost") == 1, "\(daemon.log)")
                #expect(daemon.count("xenstore watch connection restored") == 1, "\(daemon.log)")
                let counted = try await poll(within: .seconds(10)) { Self.text(of: metrics).contains("\(restarts) 1") }
                #expect(counted, "\(Self.text(of: metrics))")
            }
            #expect(status == 0)
        }
    }

    /// The file's text; empty while it does not exist.
    static func text(of path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// Writes dom0 and the two domains into a fresh daemon and waits for the borrower to be mapped again.
    static func recreateAndWait(socketPath: String) async throws -> Bool {
        let store = try LibXenStore.open(socketPath: socketPath, logger: .quiet)
        try TestDomains.createDom0(in: store)
        try TestDomains.create("sensor-vm", in: store)
        let reborn = try TestDomains.create("logger-vm", in: store)
        let state = XenStorePath("/libxl/static_shm/telemetry/slaves/\(reborn.domid)/state")
        let mapped = try await poll(within: .seconds(20)) { try store.read(state, in: nil) == "mapped" }
        store.close()
        return mapped
    }
}
