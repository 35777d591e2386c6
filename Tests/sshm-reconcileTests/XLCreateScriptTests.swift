import Foundation
import SSHMCore
import SSHMTestSupport
import SSHMXenTestSupport
import Testing

/// `deploy/sshm-xl-create` with a fake `xl` on PATH (it logs its calls; the test creates the domain as xl would) and
/// the built `sshm-reconcile wait` against a private xenstored.
@Suite("sshm-xl-create")
struct XLCreateScriptTests {
    static var script: String { JSONOutputTests.repository + "/deploy/sshm-xl-create" }

    /// A fake `xl`: `create -p` exits with $XL_CREATE_STATUS, `domid NAME` answers $XL_DOMID, every call is logged.
    static func fakeXL(in world: HostWorld) throws -> (bin: String, log: String) {
        let bin = world.directory.path + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: false)
        let log = world.directory.path + "/xl.log"
        let xl = """
            #!/bin/sh
            echo "$*" >>"\(log)"
            case $1 in
                create) [ "$2" = -p ] || exit 2; exit "${XL_CREATE_STATUS:-0}" ;;
                domid) echo "$XL_DOMID" ;;
                unpause) ;;
                *) exit 2 ;;
            esac

            """
        try Data(xl.utf8).write(to: URL(fileURLWithPath: bin + "/xl"))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/xl")
        return (bin, log)
    }

    /// Runs the script for logger-vm's config; returns the run and xl's calls.
    static func create(
        _ world: HostWorld, domid: DomID, timeout: String = "20s", createStatus: Int = 0
    ) async throws -> (run: BuiltTool.Run, calls: [String]) {
        let (bin, log) = try fakeXL(in: world)
        let config = try world.directory.write("logger-vm.cfg", "name = \"logger-vm\"\nmemory = 512\n")
        let run = try await BuiltTool.run(
            program: script,
            [
                config, "--timeout", timeout, "--", "--hypervisor", "simulated", "--config-dir", world.configDirectory,
                "--state-dir", world.stateDirectory,
            ],
            environment: [
                "PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
                "XENSTORED_PATH": world.sandbox.socketPath, "SSHM_RECONCILE": BuiltTool.path,
                "XL_DOMID": "\(domid)", "XL_CREATE_STATUS": "\(createStatus)",
            ])
        let calls = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        return (run, calls)
    }

    @Test func unpausesOnlyOnceTheDomainsPartIsMapped() async throws {
        try await HostWorld.with { world in
            let (_, logger) = try await WaitCommandTests.applied(world)
            let (run, calls) = try await Self.create(world, domid: logger.domid)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(
                calls == [
                    "create -p \(world.directory.path)/logger-vm.cfg", "domid logger-vm", "unpause \(logger.domid)",
                ])
            #expect(
                run.stdout.hasSuffix(
                    "sshm-xl-create: logger-vm (domid \(logger.domid)) unpaused with its shared memory in place\n"))
        }
    }

    @Test func leavesTheDomainPausedAndSaysWhyWhenItsRegionIsRefused() async throws {
        try await HostWorld.with { world in
            let (_, logger) = try await WaitCommandTests.applied(world, policy: "stock")
            let (run, calls) = try await Self.create(world, domid: logger.domid)
            #expect(run.status == 1, "\(run.stderr)")
            #expect(calls == ["create -p \(world.directory.path)/logger-vm.cfg", "domid logger-vm"])
            #expect(!calls.contains { $0.hasPrefix("destroy") })
            #expect(run.stderr.contains("refused to map"), "\(run.stderr)")
            #expect(
                run.stderr.hasSuffix(
                    "sshm-xl-create: logger-vm (domid \(logger.domid)) stays paused: a region it is in failed (above); "
                        + "see 'sshm-reconcile status', then 'xl unpause \(logger.domid)' to start it anyway or "
                        + "'xl destroy \(logger.domid)'\n"), "\(run.stderr)")
        }
    }

    @Test func leavesTheDomainPausedAtTheTimeout() async throws {
        try await HostWorld.with { world in
            let logger = try TestDomains.create("logger-vm", in: world.store)
            try TestDomains.create("sensor-vm", in: world.store)
            try world.manifest("10-telemetry.yaml", WaitCommandTests.telemetry)
            let (run, calls) = try await Self.create(world, domid: logger.domid, timeout: "100ms")
            #expect(run.status == 75, "\(run.stderr)")
            #expect(calls.last == "domid logger-vm")
            #expect(run.stderr.contains("is not recorded yet"), "\(run.stderr)")
            #expect(run.stderr.contains("stays paused: its part was not in place after 100ms"), "\(run.stderr)")
        }
    }

    @Test func stopsWhenXLCreateFailsWithoutWaiting() async throws {
        try await HostWorld.with { world in
            let (run, calls) = try await Self.create(world, domid: .dom0, createStatus: 3)
            #expect(run.status == 3)
            #expect(calls.count == 1)
            #expect(run.stderr.contains("xl create -p \(world.directory.path)/logger-vm.cfg failed (exit 3)"))
        }
    }
}
