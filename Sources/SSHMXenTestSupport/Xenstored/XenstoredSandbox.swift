import Foundation
import SSHMCore
import Subprocess
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif
#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// A private, real xenstore daemon for tests: Debian's C xenstored or oxenstored 4.17 started by
/// `scripts/xenstored-sandbox` in a temporary directory of its own, without a hypervisor.
///
/// Suites normally get one through the ``XenstoredTrait`` (`@Suite(.xenstored(.c))`). The daemon holds the read end of
/// a pipe whose write end only this object holds (the "lifeline"): when this process exits, however it exits, the
/// daemon exits too, and removes its directory. ``finish(keepingLog:)`` stops it and removes the directory, first copying the daemon's log to
/// `.build/xenstored-logs/` when a test failed.
package final class XenstoredSandbox: Sendable {
    /// Which daemon.
    package enum Daemon: String, CaseIterable, Sendable, CustomStringConvertible {
        /// `/usr/lib/xen-4.17/bin/xenstored`.
        case c
        /// `/usr/lib/xen-4.17/bin/oxenstored`, Debian's default.
        case ocaml

        /// `SSHM_XENSTORED` (`c` or `ocaml`), else the C daemon.
        package static var `default`: Daemon {
            ProcessInfo.processInfo.environment["SSHM_XENSTORED"].flatMap(Daemon.init(rawValue:)) ?? .c
        }

        package var description: String { self == .c ? "C xenstored" : "oxenstored" }
    }

    /// Could not start, stop or restart a sandbox; the message says what the script reported.
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    private struct State {
        var pid: Int32
        var isFinished = false
    }

    package let daemon: Daemon
    /// The instance's private directory (socket, pid file, logs).
    package let directory: String
    /// Wall time of the last `start` or `restart`, script included.
    package var startDuration: Duration { timing.withLock { $0 } }
    private let lifeline: (read: Int32, write: Int32)
    private let state: Mutex<State>
    private let timing: Mutex<Duration>

    package var socketPath: String { directory + "/socket" }
    package var logPath: String { directory + "/daemon.log" }
    /// The daemon's pid (a new one after ``restart()``).
    package var pid: Int32 { state.withLock { $0.pid } }

    private init(daemon: Daemon, directory: String, lifeline: (Int32, Int32), pid: Int32, startDuration: Duration) {
        self.daemon = daemon
        self.directory = directory
        self.lifeline = lifeline
        self.state = Mutex(State(pid: pid))
        self.timing = Mutex(startDuration)
    }

    deinit {
        // finish() normally ran; closing the lifeline here ends a forgotten daemon all the same.
        close(lifeline.write)
        close(lifeline.read)
    }

    /// Starts a daemon in a new temporary directory and returns once it answers requests.
    package static func start(_ daemon: Daemon = .default) async throws -> XenstoredSandbox {
        let directory = try makeDirectory()
        var fds: [Int32] = [-1, -1]
        // Close-on-exec (Glibc's module has no pipe2): besides, Subprocess closes every other descriptor in its
        // children, so no other child can hold the write end and keep a daemon alive.
        guard pipe(&fds) == 0, fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(fds[1], F_SETFD, FD_CLOEXEC) == 0 else {
            let error = SystemErrno(errno)
            if fds[0] >= 0 { close(fds[0]) }
            if fds[1] >= 0 { close(fds[1]) }
            try? FileManager.default.removeItem(atPath: directory)
            throw Failure(description: "cannot make the lifeline pipe: \(error)")
        }
        do {
            let (pid, duration) = try await runStart(
                ["start", directory, "--daemon", daemon.rawValue], lifeline: fds[0])
            return XenstoredSandbox(
                daemon: daemon, directory: directory, lifeline: (fds[0], fds[1]), pid: pid, startDuration: duration)
        } catch {
            close(fds[0])
            close(fds[1])
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// Runs `body` with `count` private daemons of their own (not the suite's), finished afterwards; their logs are
    /// kept when `body` throws.
    package static func withPrivate<T>(
        _ daemon: Daemon = .default, count: Int = 1, _ body: ([XenstoredSandbox]) async throws -> T
    ) async throws -> T {
        var sandboxes: [XenstoredSandbox] = []
        do {
            for _ in 0..<count { sandboxes.append(try await start(daemon)) }
            let result = try await body(sandboxes)
            for sandbox in sandboxes { await sandbox.finish(keepingLog: false) }
            return result
        } catch {
            for sandbox in sandboxes { await sandbox.finish(keepingLog: true) }
            throw error
        }
    }

    /// Stops the daemon (only its own pid), keeping the directory and its logs.
    package func stop() async throws {
        let result = try await Subprocess.run(
            .path(FilePath(Self.script)), arguments: ["stop", directory], output: .string(limit: 1 << 16),
            error: .string(limit: 1 << 16))
        guard result.terminationStatus.isSuccess else {
            throw Failure(description: "xenstored-sandbox stop \(directory) failed: \(result.standardError)")
        }
    }

    /// Replaces the daemon with a fresh, empty one on the same socket: "xenstored was killed and restarted".
    package func restart() async throws {
        let (pid, duration) = try await Self.runStart(["restart", directory], lifeline: lifeline.read)
        state.withLock { $0.pid = pid }
        timing.withLock { $0 = duration }
    }

    /// Stops the daemon and removes the directory. With `keepingLog`, the daemon's logs are first copied to
    /// `.build/xenstored-logs/` of the package, and their path and tail are printed. Idempotent.
    package func finish(keepingLog: Bool) async {
        let isFirst = state.withLock { state in
            defer { state.isFinished = true }
            return !state.isFinished
        }
        guard isFirst else { return }
        do { try await stop() } catch { Self.report("\(error)") }
        if keepingLog { keepLogs() }
        // Gone already if the lifeline was cut.
        guard FileManager.default.fileExists(atPath: directory) else { return }
        do { try FileManager.default.removeItem(atPath: directory) } catch { Self.report("\(error)") }
    }

    /// Closes this process's end of the lifeline, as if the process had died. For tests of the lifeline only.
    package func cutLifeline() {
        // /dev/null over the write end closes the pipe's last writer and keeps the descriptor valid for deinit.
        let devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)
        if devNull >= 0 {
            _ = dup2(devNull, lifeline.write)
            _ = fcntl(lifeline.write, F_SETFD, FD_CLOEXEC)
            close(devNull)
        }
    }

    /// The last lines of the daemon's log.
    package func logTail(lines: Int = 20) -> String {
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return log.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    // MARK: - Helpers

    /// `scripts/xenstored-sandbox` of this package, found from this file's path.
    static let script: String = {
        if let override = ProcessInfo.processInfo.environment["SSHM_SANDBOX_SCRIPT"] { return override }
        // Sources/SSHMTestSupport/Xenstored/XenstoredSandbox.swift → the package root is four levels up.
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("scripts/xenstored-sandbox").path
    }()

    /// `.build/xenstored-logs` of the package: kept daemon logs of failed tests.
    package static var keptLogDirectory: String {
        URL(fileURLWithPath: script).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/xenstored-logs").path
    }

    /// The logs a daemon writes into its directory: its output, and oxenstored's own log.
    package static let logNames = ["daemon.log", "oxenstored.log"]

    /// Where ``finish(keepingLog:)`` keeps the log `name` (one of ``logNames``) of this sandbox.
    package func keptLogPath(_ name: String) -> String {
        "\(Self.keptLogDirectory)/\(daemon.rawValue)-\(URL(fileURLWithPath: directory).lastPathComponent)-\(name)"
    }

    /// A fresh directory short enough for an AF_UNIX socket path inside it.
    private static func makeDirectory() throws -> String {
        var base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        if base.utf8.count > 60 { base = "/tmp" }
        var template = Array("\(base)/sshm-xs.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw Failure(description: "mkdtemp in \(base) failed: \(SystemErrno(errno))")
        }
        return String(cString: made)
    }

    /// Runs `start` or `restart` with the lifeline as the script's stdin; returns the daemon's pid.
    private static func runStart(_ arguments: [String], lifeline: Int32) async throws -> (Int32, Duration) {
        let clock = ContinuousClock()
        let started = clock.now
        let result = try await Subprocess.run(
            .path(FilePath(script)), arguments: Arguments(arguments),
            // The directory is ours alone (mkdtemp), so a daemon whose lifeline breaks may remove it on its way out.
            environment: .inherit.updating(["FAKEXEN_LIFELINE_FD": "0", "FAKEXEN_LIFELINE_REMOVE_DIR": "1"]),
            input: .fileDescriptor(FileDescriptor(rawValue: lifeline), closeAfterSpawningProcess: false),
            output: .string(limit: 1 << 16), error: .string(limit: 1 << 16))
        let duration = clock.now - started
        let output = result.standardOutput
        guard result.terminationStatus.isSuccess,
            let line = output.split(separator: "\n").first(where: { $0.hasPrefix("export XENSTORED_SANDBOX_PID=") }),
            let pid = Int32(line.dropFirst("export XENSTORED_SANDBOX_PID=".count))
        else {
            throw Failure(
                description: "xenstored-sandbox \(arguments.joined(separator: " ")) failed "
                    + "(\(result.terminationStatus)): \(result.standardError)")
        }
        return (pid, duration)
    }

    private func keepLogs() {
        let target = Self.keptLogDirectory
        do {
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            for log in Self.logNames {
                let source = "\(directory)/\(log)"
                guard FileManager.default.fileExists(atPath: source) else { continue }
                try? FileManager.default.removeItem(atPath: keptLogPath(log))
                try FileManager.default.copyItem(atPath: source, toPath: keptLogPath(log))
            }
            let kept = keptLogPath("daemon.log")
            Self.report("a test failed; the \(daemon) log is kept as \(kept); its tail:\n\(logTail())")
        } catch {
            Self.report("could not keep the \(daemon) log of \(directory): \(error)")
        }
    }

    private static func report(_ message: String) {
        FileHandle.standardError.write(Data("xenstored-sandbox: \(message)\n".utf8))
    }
}
