import Dispatch
import InMemoryLogging
import Logging
import SSHMReconcile
import SSHMTestSupport
import SSHMXen
import SSHMXenTestSupport
import Synchronization
import Testing

/// The libxenstore adapter beyond the contract: opening, the XENSTORED_PATH race, reconnection, large listings.
/// Tests that restart a daemon start private ones: the suite's daemons are shared by tests running in parallel.
@Suite("LibXenStore", .xenstored(.c, .ocaml))
struct LibXenStoreTests {
    @Test func openingWithoutADaemonIsUnavailable() throws {
        let error = #expect(throws: XenStoreError.self) {
            try LibXenStore.open(socketPath: "/nonexistent/sshm-test/socket", logger: .quiet)
        }
        #expect(error?.code == .unavailable)
        #expect(error?.operation == "xs_open")
        #expect(
            error?.description == "xs_open /nonexistent/sshm-test/socket: xenstore is not reachable: "
                + "No such file or directory (ENOENT, errno 2); is xenstored running?")
    }

    /// Single calls and batches alike, also once the batches' own connection was open.
    @Test func closedStoreIsUnavailable() throws {
        let store = try openStore(.c)
        #expect(try store.readMany([.read("/")]).count == 1)
        store.close()
        let error = #expect(throws: XenStoreError.self) { try store.read("/tool/xenstored", in: nil) }
        #expect(error?.code == .unavailable)
        let batchError = #expect(throws: XenStoreError.self) { try store.readMany([.read("/")]) }
        #expect(batchError?.code == .unavailable)
        let transactionError = #expect(throws: XenStoreError.self) { try store.startTransaction() }
        #expect(transactionError?.code == .unavailable)
    }

    @Test func errorsNameTheCallAndThePath() throws {
        let store = try openStore(.c)
        defer { store.close() }
        let error = #expect(throws: XenStoreError.self) { try store.write("/bad//path", "x", in: nil) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.description.hasPrefix("xs_write /bad//path: ") == true)
    }

    /// `xs_open` reads XENSTORED_PATH: opens racing on many threads against different daemons must each land on
    /// their own daemon, including opens that follow the environment.
    @Test func parallelOpensLandOnTheirOwnDaemon() async throws {
        try await XenstoredSandbox.withPrivate(.c, count: 3) { sandboxes in
            for (index, sandbox) in sandboxes.enumerated() {
                let store = try LibXenStore.open(socketPath: sandbox.socketPath, logger: .quiet)
                try store.write("/sshm-test/marker", "daemon-\(index)", in: nil)
                store.close()
            }
            let sockets = sandboxes.map(\.socketPath)
            let mismatches = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 240) { iteration in
                let index = iteration % sockets.count
                do {
                    let store = try LibXenStore.open(socketPath: sockets[index], logger: .quiet)
                    defer { store.close() }
                    let marker = try store.read("/sshm-test/marker", in: nil)
                    if marker != "daemon-\(index)" {
                        mismatches.withLock { $0.append("open \(iteration): \(marker ?? "nil")") }
                    }
                } catch {
                    mismatches.withLock { $0.append("open \(iteration): \(error)") }
                }
            }
            #expect(mismatches.withLock { $0 } == [])
        }
    }

    /// Both ways of watching: over the wire protocol on the socket (the default), and through libxenstore (as on the
    /// xenbus device).
    @Test(arguments: XenstoredSandbox.Daemon.allCases, [false, true])
    func reconnectsAfterTheDaemonRestarts(_ daemon: XenstoredSandbox.Daemon, watchesThroughLibxenstore: Bool)
        async throws
    {
        try await XenstoredSandbox.withPrivate(daemon) { sandboxes in
            let sandbox = sandboxes[0]
            let log = InMemoryLogHandler()
            let store = try LibXenStore.open(
                socketPath: sandbox.socketPath, logger: Logger(label: "test") { _ in log },
                watchesThroughLibxenstore: watchesThroughLibxenstore)
            defer { store.close() }
            let events = WatchEventRecorder(store.watchEvents)
            try store.write("/sshm-test/before", "1", in: nil)
            try store.watch("/sshm-test", token: "w")
            _ = try await events.next(token: "w")

            try await sandbox.restart()

            // The watch connection notices by itself, reconnects and registers the watch again, which fires it once:
            // consumers resync. The loss is a warning, once.
            #expect(try await events.next(token: "w").path == "/sshm-test")
            let losses = log.entries.filter { $0.message.description.hasPrefix("xenstore watch connection lost") }
            #expect(losses.map(\.level) == [.warning])
            // The restarted daemon is empty; the call reconnects and is retried once, with a log line.
            #expect(try store.read("/sshm-test/before", in: nil) == nil)
            #expect(log.entries.contains { $0.message.description.contains("reconnecting and retrying once") })
            try store.write("/sshm-test/after", "2", in: nil)
            #expect(try await events.next(token: "w").path == "/sshm-test/after")
        }
    }

    /// Events that come while a watch is being registered (between the request and its reply, on the same
    /// connection) all reach the stream, and the registration still gets its reply. Each write goes to a node of
    /// its own: the C xenstored drops an event identical to one still queued for the connection.
    @Test(arguments: XenstoredSandbox.Daemon.allCases)
    func eventsArrivingDuringARegistrationAreAllDelivered(_ daemon: XenstoredSandbox.Daemon) async throws {
        let store = try openStore(daemon)
        let writer = try openStore(daemon)
        let root = XenStoreFixture.uniqueRoot()
        defer {
            try? writer.remove(root, in: nil)
            store.close()
            writer.close()
        }
        let events = WatchEventRecorder(store.watchEvents)
        try store.watch(root.appending("busy"), token: "busy")
        _ = try await events.next(token: "busy")
        let writes = 300
        let writing = Task.detached {
            for index in 0..<writes { try writer.write(root.appending("busy").appending("n\(index)"), "1", in: nil) }
        }
        for index in 0..<20 { try store.watch(root.appending("quiet\(index)"), token: "quiet\(index)") }
        try await writing.value
        let written = Set((0..<writes).map { root.appending("busy").appending("n\($0)").rawValue })
        var busy: [String] = []
        var quiet: Set<String> = []
        while busy.count < writes || quiet.count < 20 {
            let event = try await events.next { $0.token == "busy" || $0.token.hasPrefix("quiet") }
            if event.token == "busy" { busy.append(event.path) } else { quiet.insert(event.token) }
        }
        #expect(Set(busy) == written)
        // An event per write, no more: a barrier watch's first event comes after any stray one.
        try store.watch(root.appending("barrier"), token: "barrier")
        let next = try await events.next { ["busy", "barrier"].contains($0.token) }
        #expect(next.token == "barrier")
    }

    @Test func transactionDiesWithItsConnection() async throws {
        try await XenstoredSandbox.withPrivate(.c) { sandboxes in
            let store = try LibXenStore.open(socketPath: sandboxes[0].socketPath, logger: .quiet)
            defer { store.close() }
            let tx = try store.startTransaction()
            #expect(try store.read("/sshm-test/in-tx", in: tx) == nil)
            try store.write("/sshm-test/in-tx", "1", in: tx)
            try await sandboxes[0].restart()

            // The write is queued: the connection's death shows at the commit, which sends it.
            try store.write("/sshm-test/in-tx", "2", in: tx)
            let commit = #expect(throws: XenStoreError.self) { try store.commit(tx) }
            #expect(commit?.code == .unavailable)
            store.abort(tx)
            let write = #expect(throws: XenStoreError.self) { try store.write("/sshm-test/in-tx", "4", in: tx) }
            #expect(write?.code == .unavailable, "the transaction is over")
            // A new transaction works on the new connection.
            let retry = try store.startTransaction()
            try store.write("/sshm-test/in-tx", "3", in: retry)
            try store.commit(retry)
            #expect(try store.read("/sshm-test/in-tx", in: nil) == "3")
        }
    }

    /// A transaction's changes wait for its next read or its commit, then go out together: a bad path fails there,
    /// named, after the calls before and after it returned, and nothing of the transaction is written.
    @Test(arguments: XenstoredSandbox.Daemon.allCases)
    func transactionChangesGoOutTogether(_ daemon: XenstoredSandbox.Daemon) throws {
        let store = try openStore(daemon)
        defer { store.close() }
        let root = XenStorePath("/sshm-test/pipelined-\(daemon.rawValue)-\(UInt32.random(in: 0...UInt32.max))")
        let tx = try store.startTransaction()
        try store.write(root.appending("first"), "1", in: tx)
        try store.write("/bad//path", "x", in: tx)
        try store.write(root.appending("last"), "2", in: tx)
        let error = #expect(throws: XenStoreError.self) { try store.commit(tx) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.path == "/bad//path")
        #expect(try store.directory(root, in: nil) == nil)

        // Reads see the transaction's own changes, sent first.
        let next = try store.startTransaction()
        try store.write(root.appending("first"), "3", in: next)
        #expect(try store.read(root.appending("first"), in: next) == "3")
        #expect(try store.directory(root, in: next) == ["first"])
        try store.commit(next)
        #expect(try store.read(root.appending("first"), in: nil) == "3")
        try store.remove(root, in: nil)
    }

    /// oxenstored answers a listing over 4096 bytes with one oversized reply, and libxenstore drops the connection:
    /// the call fails (after its one retry) as `.unavailable`, and the next call works on a fresh connection. The C
    /// daemon pages the same listing.
    @Test(arguments: XenstoredSandbox.Daemon.allCases)
    func oversizedListingBreaksOnlyOneCall(_ daemon: XenstoredSandbox.Daemon) async throws {
        let store = try openStore(daemon)
        defer { store.close() }
        let root = XenStorePath("/sshm-test/oversized-\(daemon.rawValue)")
        try fill(root, children: 1200, using: store)
        defer { try? store.remove(root, in: nil) }

        switch daemon {
        case .c:
            #expect(try store.directory(root, in: nil)?.count == 1200)
        case .ocaml:
            let error = #expect(throws: XenStoreError.self) { try store.directory(root, in: nil) }
            #expect(error?.code == .unavailable)
        }
        #expect(try store.read(root.appending("k1"), in: nil) == "v")
    }

    @Test(arguments: XenstoredSandbox.Daemon.allCases)
    func throwawayHandleListsTwoThousandChildren(_ daemon: XenstoredSandbox.Daemon) async throws {
        let store = try openStore(daemon)
        defer { store.close() }
        let root = XenStorePath("/sshm-test/throwaway-\(daemon.rawValue)")
        try fill(root, children: 2000, using: store)
        defer { try? store.remove(root, in: nil) }

        let names = try #require(try store.directoryOnThrowawayHandle(root))
        #expect(names.count == 2000)
        #expect(Set(names) == Set((0..<2000).map { "k\($0)" }))
        #expect(try store.directoryOnThrowawayHandle(root.appending("k1")) == [])
        #expect(try store.directoryOnThrowawayHandle(root.appending("missing")) == nil)
        // The request connection was never involved.
        #expect(try store.read(root.appending("k1999"), in: nil) == "v")
    }

    /// A batch of 1,203 queries crosses ten windows of the pipeline and holds, in the middle, a listing over 4096
    /// bytes (paged by the C daemon once the other replies are read, one oversized reply from oxenstored): every
    /// answer is what the call alone gives, the request connection is untouched, and answers handed on one by one
    /// come in order, each index once, the same answers.
    @Test(arguments: XenstoredSandbox.Daemon.allCases)
    func readManyAnswersLargeBatchesAcrossWindows(_ daemon: XenstoredSandbox.Daemon) async throws {
        let store = try openStore(daemon)
        defer { store.close() }
        let root = XenStorePath("/sshm-test/read-many-\(daemon.rawValue)")
        try fill(root, children: 1200, using: store)
        try store.write(root.appending("k7"), "seven", in: nil)
        defer { try? store.remove(root, in: nil) }

        let reads = (0..<1200).map { XenStoreQuery.read(root.appending("k\($0)")) }
        let queries =
            reads[..<300] + [.directory(root)] + reads[300...]
            + [.read(root.appending("missing")), .directory(root.appending("gone"))]
        let answers = try store.readMany(Array(queries))
        #expect(answers.count == 1203)
        #expect(Set(answers[300].children ?? []) == Set((0..<1200).map { "k\($0)" }))
        #expect(answers.filter { $0 == .value("v") }.count == 1199)
        #expect(answers[7] == .value("seven"))
        #expect(answers[1201] == .value(nil))
        #expect(answers[1202] == .children(nil))
        #expect(try store.read(root.appending("k1"), in: nil) == "v")

        var handed: [(index: Int, answer: XenStoreAnswer)] = []
        try store.readMany(Array(queries)) { handed.append(($0, $1)) }
        #expect(handed.map(\.index) == Array(0..<1203))
        #expect(handed.map(\.answer) == answers)
    }

    /// An error in the middle of a window leaves later replies unread: the batch throws, naming the path, and the
    /// next batch gets its own answers, not the leftovers.
    @Test(arguments: XenstoredSandbox.Daemon.allCases)
    func readManyErrorMidWindowLeavesNoLeftovers(_ daemon: XenstoredSandbox.Daemon) async throws {
        let store = try openStore(daemon)
        defer { store.close() }
        let root = XenStorePath("/sshm-test/read-many-error-\(daemon.rawValue)")
        try store.write(root.appending("a"), "1", in: nil)
        try store.write(root.appending("b"), "2", in: nil)
        defer { try? store.remove(root, in: nil) }

        let invalid = root.appending("not a valid name")
        let error = #expect(throws: XenStoreError.self) {
            try store.readMany([.read(root.appending("a")), .read(invalid), .read(root.appending("b"))])
        }
        #expect(error?.path == invalid)
        #expect(error?.code == .invalidArgument)
        // Handed on one by one, only the answer before the error comes.
        var handed: [Int] = []
        #expect(throws: XenStoreError.self) {
            try store.readMany([.read(root.appending("a")), .read(invalid), .read(root.appending("b"))]) { index, _ in
                handed.append(index)
            }
        }
        #expect(handed == [0])
        #expect(
            try store.readMany([.read(root.appending("b")), .read(root.appending("a"))]) == [.value("2"), .value("1")])
    }

    /// The pipeline's connection dies with the daemon: the next batch reconnects and is retried once, with a log line.
    @Test(arguments: XenstoredSandbox.Daemon.allCases)
    func readManyReconnectsAfterTheDaemonRestarts(_ daemon: XenstoredSandbox.Daemon) async throws {
        try await XenstoredSandbox.withPrivate(daemon) { sandboxes in
            let log = InMemoryLogHandler()
            let store = try LibXenStore.open(
                socketPath: sandboxes[0].socketPath, logger: Logger(label: "test") { _ in log })
            defer { store.close() }
            try store.write("/sshm-test/value", "1", in: nil)
            #expect(try store.readMany([.read("/sshm-test/value")]) == [.value("1")])

            try await sandboxes[0].restart()

            // The restarted daemon is empty; only the batch has talked to it yet.
            #expect(
                try store.readMany([.read("/sshm-test/value"), .directory("/sshm-test")]) == [
                    .value(nil), .children(nil),
                ])
            #expect(log.entries.contains { $0.message.description.contains("reconnecting and retrying once") })
            try store.write("/sshm-test/value", "2", in: nil)
            #expect(try store.readMany([.read("/sshm-test/value")]) == [.value("2")])
        }
    }

    /// A store on the suite's daemon.
    private func openStore(_ daemon: XenstoredSandbox.Daemon) throws -> LibXenStore {
        try LibXenStore.open(socketPath: XenstoredSandbox.current(daemon).socketPath, logger: .quiet)
    }

    private func fill(_ root: XenStorePath, children: Int, using store: LibXenStore) throws {
        for index in 0..<children { try store.write(root.appending("k\(index)"), "v", in: nil) }
    }
}
