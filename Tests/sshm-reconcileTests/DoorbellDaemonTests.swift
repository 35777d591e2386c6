import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXen
import SSHMXenTestSupport
import Testing

/// The daemon and a guest writing its doorbell's node: checked through the node's own watch, at once (the resync is
/// five minutes away), and never by a record pass, whether or not the simulation's `/local/domain` watch is on.
@Suite("Daemon and doorbells")
struct DoorbellDaemonTests {
    static let manifest = """
        version: 1
        regions:
          - id: telemetry
            owner: {domain: sensor-vm, begin: 0x7fe00000, size: 16KiB}
            borrowers:
              - {domain: logger-vm, begin: 0x1000000000, doorbell: true}

        """

    @Test(arguments: XenstoredSandbox.Daemon.allCases, [true, false])
    func aGuestsWritesAreCheckedThroughTheirWatchAndNeverMakeARecordPass(
        _ daemon: XenstoredSandbox.Daemon, _ watchLocalDomain: Bool
    ) async throws {
        try await HostWorld.with(daemon) { world in
            let sensor = try TestDomains.create("sensor-vm", in: world.store)
            let logger = try TestDomains.create("logger-vm", in: world.store)
            try world.manifest("10-telemetry.yaml", Self.manifest)
            let port = XenStorePath(DoorbellTree.port(Build.id("telemetry"), of: sensor.domid, peer: logger.domid))
            let arguments = watchLocalDomain ? [] : ["--no-local-domain-watch"]
            let status = try await DaemonProcess.with(world, arguments) { daemon in
                // The first pass is over (its "watching" notice) and has set the doorbell up.
                let settled = try await poll(within: .seconds(10)) {
                    try daemon.count("watching xenstore") > 0 && world.store.read(port, in: nil) == ""
                }
                #expect(settled, "\(daemon.log)")
                let passes = daemon.count("pass done")
                try world.store.write(port, "not a port", in: nil)
                #expect(
                    try await poll(within: .seconds(10)) { try world.store.read(port, in: nil) == "" }, "\(daemon.log)")
                for index in 0..<500 { try world.store.write(port, "\(index % 7 == 0 ? "x" : "")", in: nil) }
                try world.store.write(port, "0", in: nil)
                #expect(
                    try await poll(within: .seconds(10)) { try world.store.read(port, in: nil) == "" }, "\(daemon.log)")
                // The first pass's own record writes wake one more pass, which may come after `passes` was
                // counted; 500 guest writes seen as domain changes would make many.
                #expect(daemon.count("pass done") <= passes + 1, "\(daemon.log)")
                #expect(daemon.count("resetting it so the guests meet again") >= 2)
            }
            #expect(status == 0)
        }
    }
}
