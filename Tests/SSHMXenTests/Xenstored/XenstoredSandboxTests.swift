import Foundation
import SSHMReconcile
import SSHMTestSupport
import SSHMXen
import SSHMXenTestSupport
import Testing

/// The test harness itself: a real daemon runs, answers, and leaves nothing behind.
@Suite("xenstored sandbox", .xenstored(.c, .ocaml))
struct XenstoredSandboxTests {
    @Test(arguments: XenstoredSandbox.Daemon.allCases)
    func suiteDaemonRunsAndAnswers(_ daemon: XenstoredSandbox.Daemon) throws {
        let sandbox = try XenstoredSandbox.current(daemon)
        #expect(ProcessProbe.isRunning(sandbox.pid))
        #expect(ProcessProbe.commandLine(sandbox.pid).contains(sandbox.directory + "/"))
        let store = try LibXenStore.open(socketPath: sandbox.socketPath, logger: .quiet)
        defer { store.close() }
        #expect(try store.read("/tool/xenstored", in: nil) != nil)
    }

    @Test(arguments: XenstoredSandbox.Daemon.allCases)
    func finishLeavesNoProcessSocketOrDirectory(_ daemon: XenstoredSandbox.Daemon) async throws {
        let sandbox = try await XenstoredSandbox.start(daemon)
        #expect(FileManager.default.fileExists(atPath: sandbox.socketPath))
        await sandbox.finish(keepingLog: false)
        #expect(!ProcessProbe.isRunning(sandbox.pid))
        #expect(!FileManager.default.fileExists(atPath: sandbox.socketPath))
        #expect(!FileManager.default.fileExists(atPath: sandbox.directory))
    }

    /// The lifeline: when the test process's end of the pipe goes away (as when it is SIGKILLed), the daemon exits and
    /// removes its directory.
    @Test(arguments: XenstoredSandbox.Daemon.allCases)
    func daemonExitsWhenTheLifelineIsCut(_ daemon: XenstoredSandbox.Daemon) async throws {
        try await XenstoredSandbox.withPrivate(daemon) { sandboxes in
            let sandbox = sandboxes[0]
            #expect(ProcessProbe.isRunning(sandbox.pid))
            sandbox.cutLifeline()
            let isGone = try await ProcessProbe.waitUntilGone(sandbox.pid)
            #expect(isGone)
            #expect(!FileManager.default.fileExists(atPath: sandbox.directory))
        }
    }

    @Test func restartKeepsTheSocketAndReplacesTheDaemon() async throws {
        try await XenstoredSandbox.withPrivate(.c) { sandboxes in
            let sandbox = sandboxes[0]
            let before = sandbox.pid
            try await sandbox.restart()
            #expect(sandbox.pid != before)
            #expect(!ProcessProbe.isRunning(before))
            #expect(ProcessProbe.isRunning(sandbox.pid))
            let store = try LibXenStore.open(socketPath: sandbox.socketPath, logger: .quiet)
            defer { store.close() }
            #expect(try store.read("/tool/xenstored", in: nil) != nil)
        }
    }
}

/// The suite trait, run by hand around failing bodies. Not itself under the trait: the deliberate failures would make
/// it keep its own daemons' logs.
@Suite("xenstored suite trait")
struct XenstoredTraitTests {
    private struct DeliberateFailure: Error {}

    /// A suite whose test throws still stops its daemon and removes its directory; the log is kept for reading.
    @Test func failingSuiteStopsItsDaemonAndKeepsTheLog() async throws {
        let test = try #require(Test.current)
        let seen = SandboxCapture()
        await #expect(throws: DeliberateFailure.self) {
            try await XenstoredTrait.xenstored(.c).provideScope(for: test, testCase: nil) {
                seen.sandbox = try XenstoredSandbox.current(.c)
                throw DeliberateFailure()
            }
        }
        let sandbox = try #require(seen.sandbox)
        #expect(!ProcessProbe.isRunning(sandbox.pid))
        #expect(!FileManager.default.fileExists(atPath: sandbox.directory))
        let kept = sandbox.keptLogPath("daemon.log")
        #expect(FileManager.default.fileExists(atPath: kept))
        try? FileManager.default.removeItem(atPath: kept)
    }

    /// A test that records a failure (rather than throwing) also gets the log kept.
    @Test func recordedIssueKeepsTheLog() async throws {
        let test = try #require(Test.current)
        let seen = SandboxCapture()
        await withKnownIssue {
            try await XenstoredTrait.xenstored(.ocaml).provideScope(for: test, testCase: nil) {
                seen.sandbox = try XenstoredSandbox.current(.ocaml)
                Issue.record("deliberate failure")
            }
        }
        let sandbox = try #require(seen.sandbox)
        #expect(!ProcessProbe.isRunning(sandbox.pid))
        #expect(!FileManager.default.fileExists(atPath: sandbox.directory))
        let keptFiles = XenstoredSandbox.logNames.map(sandbox.keptLogPath)
        #expect(keptFiles.allSatisfy { FileManager.default.fileExists(atPath: $0) })
        for file in keptFiles { try? FileManager.default.removeItem(atPath: file) }
    }
}

/// Carries a sandbox out of a scope closure.
private final class SandboxCapture: @unchecked Sendable {
    var sandbox: XenstoredSandbox?
}
