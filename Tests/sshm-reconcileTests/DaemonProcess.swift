import Foundation
import SSHMTestSupport
import SSHMXenTestSupport
import Subprocess
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// `sshm-reconcile daemon` running as a real subprocess of a test, its stderr in a file the test reads.
struct DaemonProcess {
    let pid: pid_t
    let logPath: String
    let signal: @Sendable (Int32) -> Void

    /// The daemon's log so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// How many lines of the log contain `text`.
    func count(_ text: String) -> Int { log.split(separator: "\n").filter { $0.contains(text) }.count }

    /// Starts the daemon with `world`'s options plus `arguments`, runs `body`, then stops it with SIGTERM (or
    /// SIGKILL if it is still there after 10 s). Returns the exit status (`nil` when a signal ended it).
    static func with(
        _ world: HostWorld, _ arguments: [String] = [], _ body: (DaemonProcess) async throws -> Void
    ) async throws -> Int32? {
        let logPath = world.directory.path + "/daemon.log"
        let log = try FileDescriptor.open(
            FilePath(logPath), .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite])
        let options = [
            "daemon", "-vv", "--hypervisor", "simulated", "--config-dir", world.configDirectory, "--state-dir",
            world.stateDirectory,
        ]
        let result = try await Subprocess.run(
            .path(FilePath(BuiltTool.path)), arguments: Arguments(options + arguments),
            environment: .inherit.updating(["XENSTORED_PATH": world.sandbox.socketPath]), input: .none,
            output: .discarded, error: .fileDescriptor(log, closeAfterSpawningProcess: true)
        ) { execution in
            let daemon = DaemonProcess(
                pid: execution.processIdentifier.value, logPath: logPath,
                signal: { signal in try? execution.send(signal: Signal(rawValue: signal)) })
            do {
                try await body(daemon)
            } catch {
                try? execution.send(signal: .kill)
                throw error
            }
            try? execution.send(signal: .terminate)
            let stopped = try await poll(within: .seconds(10)) { kill(daemon.pid, 0) != 0 || isZombie(daemon.pid) }
            if !stopped { try? execution.send(signal: .kill) }
        }
        if case .exited(let code) = result.terminationStatus { return code }
        return nil
    }

    static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}

/// Polls `condition` every few milliseconds until it holds or `deadline` passes. Returns whether it held.
func poll(within deadline: Duration, _ condition: () throws -> Bool) async throws -> Bool {
    let end = ContinuousClock.now + deadline
    while ContinuousClock.now < end {
        if try condition() { return true }
        try await Task.sleep(for: .milliseconds(5))
    }
    return try condition()
}
