import Dispatch
import SSHMReconcile
import SSHMTestSupport
import SSHMXen
import SSHMXenTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Every wait on a wire connection has a bound: a daemon that stops answering (the racing writers' hang, with the
/// engine blocked in a transaction's start and a directory read inside one) ends each call with a typed error, never
/// a hang.
@Suite("LibXenStore reply deadline")
struct LibXenStoreReplyDeadlineTests {
    /// Long enough for a loaded 2-core machine to answer a listing, short enough to keep the test quick.
    static let deadline: Duration = .milliseconds(400)
    /// The test's own bound: past it the daemon is woken, which ends a call that had no deadline, and the test fails.
    static let watchdog: DispatchTimeInterval = .seconds(20)

    /// The daemon stops (SIGSTOP) in the middle of a transaction: the transaction's listing, a new transaction's start
    /// and a batch of reads each end as `.unavailable` (ETIMEDOUT) naming their request and path; once the daemon
    /// answers again, the old transaction is gone and a new one works on a new connection.
    @Test(arguments: XenstoredSandbox.Daemon.allCases)
    func aDaemonThatStopsAnsweringEndsEachCallWithATypedError(_ daemon: XenstoredSandbox.Daemon) async throws {
        try await XenstoredSandbox.withPrivate(daemon) { sandboxes in
            let sandbox = sandboxes[0]
            let store = try LibXenStore.open(
                socketPath: sandbox.socketPath, logger: .quiet, replyDeadline: Self.deadline)
            defer { store.close() }
            let root = XenStorePath("/sshm-test/deadline")
            try store.write(root.appending("a"), "1", in: nil)
            let tx = try store.startTransaction()
            #expect(try store.read(root.appending("a"), in: tx) == "1")

            let (errors, hung) = try Self.whileStopped(sandbox) {
                [
                    #expect(throws: XenStoreError.self) { try store.directory(root, in: tx) },
                    #expect(throws: XenStoreError.self) { try store.startTransaction() },
                    #expect(throws: XenStoreError.self) { try store.readMany([.read(root.appending("a"))]) },
                ]
            }
            #expect(!hung, "a call waited for the stopped daemon past the test's own bound")
            #expect(errors.map { $0?.code } == [.unavailable, .unavailable, .unavailable])
            #expect(errors.map { $0?.errno } == [ETIMEDOUT, ETIMEDOUT, ETIMEDOUT])
            #expect(
                errors.map { $0?.operation } == ["XS_DIRECTORY", "XS_TRANSACTION_START", "XS_READ"])
            #expect(errors.map { $0?.path } == [root, nil, root.appending("a")])
            #expect(errors.first??.description.contains("did not answer in time") == true)

            let gone = #expect(throws: XenStoreError.self) { try store.commit(tx) }
            #expect(gone?.code == .unavailable, "the transaction died with its connection")
            let next = try store.startTransaction()
            #expect(try store.directory(root, in: next) == ["a"])
            try store.write(root.appending("b"), "2", in: next)
            try store.commit(next)
            #expect(try store.readMany([.directory(root)]) == [.children(["a", "b"])])
        }
    }

    /// Runs `body` while the daemon is stopped, and wakes it afterwards. If `body` is still running after
    /// ``watchdog``, the daemon is woken early (a call without a deadline then returns) and `hung` is true.
    private static func whileStopped<T>(
        _ sandbox: XenstoredSandbox, _ body: () throws -> T
    ) throws -> (result: T, hung: Bool) {
        let pid = sandbox.pid
        try #require(kill(pid, SIGSTOP) == 0)
        let hung = Flag()
        let wake = DispatchWorkItem {
            hung.value.store(true, ordering: .relaxed)
            kill(pid, SIGCONT)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + watchdog, execute: wake)
        defer {
            wake.cancel()
            kill(pid, SIGCONT)
        }
        let result = try body()
        return (result, hung.value.load(ordering: .relaxed))
    }
}

private final class Flag: Sendable {
    let value = Atomic<Bool>(false)
}
