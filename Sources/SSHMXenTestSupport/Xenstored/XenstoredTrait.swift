import Synchronization
import Testing

/// Gives a suite its own private xenstore daemons for its whole run: `@Suite(.xenstored(.c, .ocaml))`.
///
/// The daemons start before the suite's first test and stop after its last, also when tests fail or throw. Tests
/// reach them through ``XenstoredSandbox/current(_:)``. When any test of the suite recorded an issue or threw, the
/// daemons' logs are kept (see ``XenstoredSandbox/finish(keepingLog:)``). Tests of one suite run in parallel against the same daemons, so
/// each works below a root of its own.
package struct XenstoredTrait: SuiteTrait, TestTrait, TestScoping {
    package let daemons: [XenstoredSandbox.Daemon]

    package var isRecursive: Bool { false }

    package func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        var started: [XenstoredSandbox.Daemon: XenstoredSandbox] = [:]
        do {
            for daemon in daemons where started[daemon] == nil {
                started[daemon] = try await XenstoredSandbox.start(daemon)
            }
        } catch {
            for sandbox in started.values { await sandbox.finish(keepingLog: true) }
            throw error
        }
        let sandboxes = started
        let failed = Mutex(false)
        // Known issues count too: inside `withKnownIssue` an issue arrives here already marked known, and a log too
        // many is cheaper than a failure without one.
        let noticeFailures = IssueHandlingTrait.compactMapIssues { issue in
            if issue.severity >= .error { failed.withLock { $0 = true } }
            return issue
        }
        do {
            try await XenstoredSandbox.$scoped.withValue(sandboxes) {
                try await noticeFailures.provideScope(for: test, testCase: testCase, performing: function)
            }
        } catch {
            for sandbox in sandboxes.values { await sandbox.finish(keepingLog: true) }
            throw error
        }
        let keepLogs = failed.withLock { $0 }
        for sandbox in sandboxes.values { await sandbox.finish(keepingLog: keepLogs) }
    }
}

extension Trait where Self == XenstoredTrait {
    /// Private daemons of the given kinds for this suite; none given: the one `SSHM_XENSTORED` names (default C).
    package static func xenstored(_ daemons: XenstoredSandbox.Daemon...) -> Self {
        XenstoredTrait(daemons: daemons.isEmpty ? [.default] : daemons)
    }
}

extension XenstoredSandbox {
    @TaskLocal static var scoped: [Daemon: XenstoredSandbox] = [:]

    /// The suite's daemon of kind `daemon` (``XenstoredTrait``).
    /// - Throws: when the running suite has no such daemon: add `.xenstored(daemon)` to its traits.
    package static func current(_ daemon: Daemon = .default) throws -> XenstoredSandbox {
        guard let sandbox = scoped[daemon] else {
            throw Failure(
                description: "this suite has no \(daemon) sandbox; add .xenstored(.\(daemon.rawValue)) to its traits")
        }
        return sandbox
    }
}
