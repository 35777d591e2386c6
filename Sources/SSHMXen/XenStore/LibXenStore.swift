import CXenStore
import Logging
import SSHMCore
import SSHMReconcile
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The production ``XenStore``: libxenstore 4.17, talking to xenstored over its unix socket (or the xenbus device).
///
/// Every call blocks for one round trip (~40 µs); run them on a ``BlockingExecutor``. One request handle serves the
/// calls outside transactions, one at a time; watches have their own handle and thread (``WatchConnection``);
/// ``readMany(_:)`` sends its reads together on a third connection that speaks the wire protocol itself
/// (``XenStoreWireConnection``).
///
/// Transactions run on a fourth such connection (transaction ids belong to the connection that started them), and
/// pipelined: a change inside a transaction (write, mkdir, remove, permissions) is queued, not sent; the queue goes
/// out back to back at the transaction's next read, listing or commit, every reply is checked, and the first error
/// is thrown there, with its path, the transaction then being aborted: nothing of it is written. So a transaction
/// that reads first and then writes waits one round trip for each read, one for all its writes and one for the
/// commit. On the xenbus device (no socket to speak the protocol on) transactions go through libxenstore, one call
/// at a time.
///
/// A connection that dies (EBADF, EPIPE, ECONNRESET: the daemon restarted, or oxenstored sent a reply over 4096 bytes,
/// which libxenstore answers by closing its socket) is reopened on the same socket, and a call outside a transaction
/// is retried once, with a log line. A transaction dies with its connection: its calls throw `.unavailable`, and the
/// caller starts over.
///
/// Every wait on a wire connection has a bound, ``replyDeadline``: a daemon that stops answering ends the call with
/// `.unavailable` (ETIMEDOUT, naming the request and its path) and the connection is dropped, since its reply may
/// still come and must never be taken for another request's.
package final class LibXenStore: XenStore {
    /// Default of ``replyDeadline``: far above any reply seen (a listing of 10,000 regions answers in milliseconds),
    /// far below what an operator or a daemon's watchdog would take for a hang.
    package static let defaultReplyDeadline: Duration = .seconds(10)

    private struct Connection {
        var handle: XenStoreHandle?
        /// Transactions open on `handle`; forgotten when it dies, so that no stale id reaches a new connection.
        var transactions: Set<UInt32> = []
        var isClosed = false
    }

    /// The socket given to ``open(socketPath:logger:)``; `nil` follows the environment, as every libxenstore tool.
    package let socketPath: String?
    private let logger: Logger
    /// Longest wait for one reply, or for room to send, on a wire connection (see ``XenStoreWireConnection``).
    package let replyDeadline: Duration
    private let connection: Mutex<Connection>
    private let watches: WatchConnection
    /// The daemon's unix socket, for ``readMany(_:)``; `nil` on the xenbus device.
    private let pipelineSocket: String?
    /// The connection ``readMany(_:)`` pipelines on (opened on first use; dropped after any error, as it may then
    /// hold unread replies).
    private let pipeline = Mutex(Pipeline())

    private struct Pipeline {
        var connection: XenStoreWireConnection?
        var isClosed = false
    }

    /// Whether transactions run pipelined on a wire connection (``transactions``); not on the xenbus device, where
    /// they go through libxenstore.
    private let pipelinesTransactions: Bool
    private let transactions = Mutex(Transactions())

    private struct Transactions {
        var connection: XenStoreWireConnection?
        var isClosed = false
        /// Every open transaction, by the id of its ``XenStoreTransaction``: ids of our own, so that a handle of a
        /// transaction that died with its connection can never reach one the daemon numbered alike on the next.
        var open: [UInt32: OpenTransaction] = [:]
        var lastID: UInt32 = 0
    }

    private struct OpenTransaction {
        /// The daemon's id, valid on `connection`.
        var id: UInt32
        /// Changes not sent yet.
        var queued: [XenStoreWireConnection.Mutation] = []
    }

    private init(
        socketPath: String?, handle: XenStoreHandle, logger: Logger, replyDeadline: Duration,
        watchesThroughLibxenstore: Bool
    ) {
        self.socketPath = socketPath
        self.logger = logger
        self.replyDeadline = replyDeadline
        self.connection = Mutex(Connection(handle: handle))
        let socket = try? XenStoreSocket.daemonSocket(socketPath: socketPath)
        self.pipelineSocket = socket.flatMap { XenStoreSocket.isSocket($0) ? $0 : nil }
        self.pipelinesTransactions = pipelineSocket != nil
        self.watches = WatchConnection(
            socketPath: socketPath, wireSocket: watchesThroughLibxenstore ? nil : pipelineSocket,
            replyDeadline: replyDeadline, logger: logger)
    }

    deinit { watches.close() }

    /// Connects to the daemon at `socketPath`, or where `XENSTORED_PATH` points when `nil`.
    /// `watchesThroughLibxenstore` keeps watches on libxenstore even where there is a socket, as on the xenbus
    /// device: for tests of that path.
    /// - Throws: ``XenStoreError`` `.unavailable` when the daemon cannot be reached.
    package static func open(
        socketPath: String? = nil, logger: Logger, replyDeadline: Duration = defaultReplyDeadline,
        watchesThroughLibxenstore: Bool = false
    ) throws -> LibXenStore {
        LibXenStore(
            socketPath: socketPath, handle: try XenStoreHandle.open(socketPath: socketPath), logger: logger,
            replyDeadline: replyDeadline, watchesThroughLibxenstore: watchesThroughLibxenstore)
    }

    /// Closes both connections and finishes ``watchEvents``. Later calls throw `.unavailable`. Idempotent.
    package func close() {
        watches.close()
        pipeline.withLock { pipeline in
            pipeline.isClosed = true
            pipeline.connection = nil
        }
        transactions.withLock { transactions in
            transactions.isClosed = true
            transactions.connection = nil
            transactions.open.removeAll()
        }
        connection.withLock { connection in
            connection.isClosed = true
            connection.handle = nil
            connection.transactions.removeAll()
        }
    }

    // MARK: - XenStore

    package func read(_ path: XenStorePath, in tx: XenStoreTransaction?) throws -> String? {
        if let tx, pipelinesTransactions { return try answer(to: .read(path), in: tx).value }
        return try call("xs_read", path, in: tx, ifMissing: .some(nil)) { handle, txid, _ in
            var length: UInt32 = 0
            guard let buffer = xs_read(handle, txid, path.rawValue, &length) else { return nil }
            return .some(takeValue(buffer, length: length))
        }
    }

    package func write(_ path: XenStorePath, _ value: String, in tx: XenStoreTransaction?) throws {
        if let tx, pipelinesTransactions { return try queue(.write(path, value), in: tx) }
        try call("xs_write", path, in: tx) { handle, txid, _ in
            var bytes = Array(value.utf8)
            let written = bytes.withUnsafeMutableBytes { buffer in
                xs_write(handle, txid, path.rawValue, buffer.baseAddress, UInt32(buffer.count))
            }
            return written ? () : nil
        }
    }

    package func mkdir(_ path: XenStorePath, in tx: XenStoreTransaction?) throws {
        if let tx, pipelinesTransactions { return try queue(.mkdir(path), in: tx) }
        try call("xs_mkdir", path, in: tx) { handle, txid, _ in xs_mkdir(handle, txid, path.rawValue) ? () : nil }
    }

    package func remove(_ path: XenStorePath, in tx: XenStoreTransaction?) throws {
        if let tx, pipelinesTransactions { return try queue(.remove(path), in: tx) }
        try call("xs_rm", path, in: tx, ifMissing: ()) { handle, txid, _ in
            xs_rm(handle, txid, path.rawValue) ? () : nil
        }
    }

    package func directory(_ path: XenStorePath, in tx: XenStoreTransaction?) throws -> [String]? {
        if let tx, pipelinesTransactions { return try answer(to: .directory(path), in: tx).children }
        return try call("xs_directory", path, in: tx, ifMissing: .some(nil)) { handle, txid, _ in
            var count: UInt32 = 0
            guard let list = xs_directory(handle, txid, path.rawValue, &count) else { return nil }
            return .some(takeStringList(list, count: count))
        }
    }

    package func permissions(_ path: XenStorePath, in tx: XenStoreTransaction?) throws -> [XenStorePermission]? {
        if let tx, pipelinesTransactions { return try answer(to: .permissions(path), in: tx).permissions }
        return try call("xs_get_permissions", path, in: tx, ifMissing: .some(nil)) { handle, txid, _ in
            var count: UInt32 = 0
            guard let list = xs_get_permissions(handle, txid, path.rawValue, &count) else { return nil }
            defer { free(list) }
            return .some((0..<Int(count)).map { XenStorePermission(list[$0]) })
        }
    }

    package func setPermissions(
        _ path: XenStorePath, _ permissions: [XenStorePermission], in tx: XenStoreTransaction?
    ) throws {
        if let tx, pipelinesTransactions { return try queue(.setPermissions(path, permissions), in: tx) }
        var entries = permissions.map(xs_permissions.init)
        try call("xs_set_permissions", path, in: tx) { handle, txid, _ in
            xs_set_permissions(handle, txid, path.rawValue, &entries, UInt32(entries.count)) ? () : nil
        }
    }

    package func startTransaction() throws -> XenStoreTransaction {
        if let socket = pipelineSocket {
            return try transactions.withLock { transactions throws(XenStoreError) -> XenStoreTransaction in
                guard !transactions.isClosed else {
                    throw XenStoreError(code: .unavailable, operation: "XS_TRANSACTION_START", path: nil, errno: EBADF)
                }
                let id: UInt32
                do {
                    let wire =
                        try transactions.connection
                        ?? XenStoreWireConnection(socketPath: socket, replyDeadline: replyDeadline)
                    transactions.connection = wire
                    id = try wire.startTransaction()
                } catch {
                    throw dropOnOutage(error, &transactions)
                }
                repeat {
                    transactions.lastID &+= 1
                } while transactions.lastID == 0 || transactions.open[transactions.lastID] != nil
                transactions.open[transactions.lastID] = OpenTransaction(id: id)
                return XenStoreTransaction(id: transactions.lastID)
            }
        }
        return try call("xs_transaction_start", nil, in: nil) { handle, _, connection in
            let id = xs_transaction_start(handle)
            guard id != 0 else { return nil }
            connection.transactions.insert(id)
            return XenStoreTransaction(id: id)
        }
    }

    package func commit(_ tx: XenStoreTransaction) throws {
        if pipelinesTransactions {
            _ = try inTransaction(tx, .commit)
            return
        }
        try call("xs_transaction_end", nil, in: tx) { handle, txid, connection in
            // Committed or not, the transaction is over.
            defer { connection.transactions.remove(txid) }
            return xs_transaction_end(handle, txid, false) ? () : nil
        }
    }

    package func abort(_ tx: XenStoreTransaction) {
        if pipelinesTransactions {
            transactions.withLock { transactions in
                guard let open = transactions.open.removeValue(forKey: tx.id) else { return }
                do {
                    try transactions.connection?.endTransaction(open.id, commit: false)
                } catch {
                    _ = dropOnOutage(error, &transactions)
                }
            }
            return
        }
        _ = try? call("xs_transaction_end", nil, in: tx) { handle, txid, connection in
            defer { connection.transactions.remove(txid) }
            return xs_transaction_end(handle, txid, true) ? () : nil
        }
    }

    package func watch(_ path: XenStorePath, token: String) throws {
        try watches.watch(path, token: token)
    }

    package func unwatch(_ path: XenStorePath, token: String) throws {
        try watches.unwatch(path, token: token)
    }

    package var watchEvents: AsyncStream<XenStoreWatchEvent> { watches.events }

    /// Lists `path` on a fresh connection that is closed afterwards, for listings that may exceed 4096 bytes (the
    /// names plus one byte each). On oxenstored such a listing kills a libxenstore connection; this one reads the
    /// oversized reply itself (``XenStoreWireConnection``), and pages on the C daemon. Returns `nil` if the node
    /// does not exist.
    package func directoryOnThrowawayHandle(_ path: XenStorePath) throws -> [String]? {
        let socket = try XenStoreSocket.daemonSocket(socketPath: socketPath)
        if XenStoreSocket.isSocket(socket) {
            let wire = try XenStoreWireConnection(socketPath: socket, replyDeadline: replyDeadline)
            return try wire.directory(path)
        }
        // The xenbus device: the kernel sits between us and the daemon; libxenstore pages there.
        let handle = try XenStoreHandle.open(socketPath: socketPath)
        var count: UInt32 = 0
        guard let list = xs_directory(handle.raw, 0, path.rawValue, &count) else {
            let error = errno
            if error == ENOENT { return nil }
            throw XenStoreError(operation: "xs_directory", path: path, errno: error)
        }
        return takeStringList(list, count: count)
    }

    /// Pipelined on the transaction's connection, with the changes queued before them; one by one through
    /// libxenstore when transactions are not pipelined.
    package func readMany(_ queries: [XenStoreQuery], in tx: XenStoreTransaction) throws -> [XenStoreAnswer] {
        guard pipelinesTransactions, !queries.isEmpty else { return try readOneByOne(queries, in: tx) }
        let answers = try inTransaction(tx, .reads(queries))
        guard answers.count == queries.count else {
            throw XenStoreError(code: .other, operation: "XS_READ", path: queries[0].path, errno: EPROTO)
        }
        return answers
    }

    /// One read of transaction `tx`, pipelined after its queued changes.
    private func answer(to query: XenStoreQuery, in tx: XenStoreTransaction) throws -> XenStoreAnswer {
        try readMany([query], in: tx)[0]
    }

    /// Sends the reads together over a wire connection of its own (``XenStoreWireConnection``): one round trip per
    /// window of up to 128 instead of one per read. A connection that fails is dropped, and a batch that failed on
    /// a connection that had worked before is retried once on a new one (reads can be repeated). On the xenbus
    /// device, where the kernel sits between us and the daemon, the reads go one by one.
    package func readMany(_ queries: [XenStoreQuery]) throws -> [XenStoreAnswer] {
        var answers: [XenStoreAnswer] = []
        answers.reserveCapacity(queries.count)
        try readMany(queries) { _, answer in answers.append(answer) }
        return answers
    }

    /// As ``readMany(_:)``, handing on each answer as it is read. A retry on a new connection starts from the first
    /// answer not handed on yet.
    package func readMany(_ queries: [XenStoreQuery], each: (Int, XenStoreAnswer) -> Void) throws {
        guard !queries.isEmpty, let socket = pipelineSocket else {
            for (index, answer) in try readOneByOne(queries).enumerated() { each(index, answer) }
            return
        }
        // What runs under the pipeline's lock may hold only sendable state. `each` runs on the caller's thread, inside
        // this call, and never escapes it, so it may touch the caller's state: the compiler cannot see that.
        try withoutActuallyEscaping(each) { each in
            nonisolated(unsafe) let each = each
            try readManyPipelined(queries, on: socket) { index, answer in each(index, answer) }
        }
    }

    /// ``readMany(_:each:)`` on the pipeline's connection, under its lock.
    private func readManyPipelined(
        _ queries: [XenStoreQuery], on socket: String, each: @Sendable (Int, XenStoreAnswer) -> Void
    ) throws {
        try pipeline.withLock { pipeline throws in
            var retried = false
            var delivered = 0
            while true {
                guard !pipeline.isClosed else {
                    throw XenStoreError(code: .unavailable, operation: "XS_READ", path: queries[0].path, errno: EBADF)
                }
                let reused = pipeline.connection != nil
                do {
                    let wire =
                        try pipeline.connection
                        ?? XenStoreWireConnection(socketPath: socket, replyDeadline: replyDeadline)
                    pipeline.connection = wire
                    try wire.readMany(delivered == 0 ? queries : Array(queries[delivered...])) { _, answer in
                        each(delivered, answer)
                        delivered += 1
                    }
                    return
                } catch let error as XenStoreError {
                    pipeline.connection = nil
                    guard error.code == .unavailable else { throw error }
                    watches.checkConnection()
                    guard reused, !retried else { throw error }
                    logger.info(
                        "xenstore connection lost; reconnecting and retrying once",
                        metadata: [
                            "xenstore.operation": "\(error.operation)",
                            "xenstore.path": "\(error.path?.rawValue ?? "")",
                            "xenstore.errno": "\(error.errno)",
                        ])
                    retried = true
                }
            }
        }
    }

    // MARK: - Pipelined transactions

    /// A request of a transaction that waits for its answer.
    private enum TransactionRequest {
        case reads([XenStoreQuery])
        case commit

        var operation: String {
            switch self {
            case .reads(let queries): queries.first.map(XenStoreWireConnection.name(of:)) ?? "XS_READ"
            case .commit: "XS_TRANSACTION_END"
            }
        }

        var path: XenStorePath? {
            switch self {
            case .reads(let queries): queries.first?.path
            case .commit: nil
            }
        }
    }

    /// Queues a change of transaction `tx`; it goes out with the transaction's next read or its commit.
    private func queue(_ mutation: XenStoreWireConnection.Mutation, in tx: XenStoreTransaction) throws {
        try transactions.withLock { transactions throws(XenStoreError) in
            guard transactions.open[tx.id] != nil else {
                throw Self.transactionGone(XenStoreWireConnection.name(of: mutation), mutation.path)
            }
            transactions.open[tx.id]?.queued.append(mutation)
        }
    }

    /// Sends the changes `tx` has queued and `request` back to back, and waits for the answers (none for a commit).
    /// Reads go out with the changes (the daemon runs them in order, so they see them); a commit only after every
    /// change succeeded. Any error reply ends the transaction: it is aborted before the error is thrown.
    private func inTransaction(
        _ tx: XenStoreTransaction, _ request: TransactionRequest
    ) throws(XenStoreError) -> [XenStoreAnswer] {
        try transactions.withLock { transactions throws(XenStoreError) -> [XenStoreAnswer] in
            guard let open = transactions.open[tx.id], let wire = transactions.connection else {
                throw Self.transactionGone(request.operation, request.path)
            }
            transactions.open[tx.id]?.queued = []
            do {
                switch request {
                case .reads(let queries): return try wire.readMany(queries, tx: open.id, after: open.queued)
                case .commit:
                    transactions.open[tx.id] = nil
                    try wire.send(open.queued, in: open.id)
                    try wire.endTransaction(open.id, commit: true)
                    return []
                }
            } catch let error as XenStoreError where error.code != .unavailable && wire.isUsable {
                transactions.open[tx.id] = nil
                // A commit the daemon answered is over either way; anything else leaves it open on the daemon.
                if error.operation != TransactionRequest.commit.operation {
                    do {
                        try wire.endTransaction(open.id, commit: false)
                    } catch let abortError as XenStoreError where !wire.isUsable {
                        // The transaction is gone with the connection; the error of the request stands.
                        _ = dropOnOutage(abortError, &transactions)
                    } catch {
                        // The daemon refused the abort: the transaction is over anyway.
                    }
                }
                throw error
            } catch {
                throw dropOnOutage(error, &transactions)
            }
        }
    }

    /// `error` as thrown by the transaction connection: when the connection broke, it is dropped with every
    /// transaction open on it, which then throw `.unavailable`.
    private func dropOnOutage(_ error: any Error, _ transactions: inout Transactions) -> XenStoreError {
        guard let error = error as? XenStoreError else {
            return XenStoreError(code: .other, operation: "xenstore transaction", path: nil, errno: EIO)
        }
        if error.code == .unavailable || transactions.connection?.isUsable == false {
            transactions.connection = nil
            transactions.open.removeAll()
            watches.checkConnection()
        }
        return error
    }

    /// The error of a call in a transaction that is over or whose connection died.
    private static func transactionGone(_ operation: String, _ path: XenStorePath?) -> XenStoreError {
        XenStoreError(code: .unavailable, operation: operation, path: path, errno: ENOTCONN)
    }

    // MARK: - Calls and reconnection

    /// Runs one libxenstore call on the request handle.
    ///
    /// `body` returns `nil` on failure with `errno` set. ENOENT returns `ifMissing` when given. Outside a transaction,
    /// a dead connection is reopened and the call retried once; inside one, the call throws `.unavailable`.
    private func call<T: Sendable>(
        _ operation: String, _ path: XenStorePath?, in tx: XenStoreTransaction?, ifMissing: T? = nil,
        _ body: (OpaquePointer, xs_transaction_t, inout Connection) -> T?
    ) throws -> T {
        try connection.withLock { connection throws(XenStoreError) -> T in
            guard !connection.isClosed else {
                throw XenStoreError(code: .unavailable, operation: operation, path: path, errno: EBADF)
            }
            var retried = false
            while true {
                let handle: XenStoreHandle
                if let tx {
                    guard let current = connection.handle, connection.transactions.contains(tx.id) else {
                        // The transaction's connection died (or it already ended).
                        throw XenStoreError(code: .unavailable, operation: operation, path: path, errno: ENOTCONN)
                    }
                    handle = current
                } else if let current = connection.handle {
                    handle = current
                } else {
                    handle = try XenStoreHandle.open(socketPath: socketPath)
                    connection.handle = handle
                }

                if let result = body(handle.raw, tx?.id ?? 0, &connection) { return result }
                let error = errno
                if error == ENOENT, let ifMissing { return ifMissing }
                guard isDeadConnection(error) else {
                    throw XenStoreError(operation: operation, path: path, errno: error)
                }
                connection.handle = nil
                connection.transactions.removeAll()
                watches.checkConnection()
                guard tx == nil, !retried else {
                    throw XenStoreError(code: .unavailable, operation: operation, path: path, errno: error)
                }
                logger.info(
                    "xenstore connection lost; reconnecting and retrying once",
                    metadata: [
                        "xenstore.operation": "\(operation)", "xenstore.path": "\(path.map(\.rawValue) ?? "")",
                        "xenstore.errno": "\(error)",
                    ])
                retried = true
            }
        }
    }

    /// Runs one libxenstore call on the request handle, outside any transaction, with the reconnection and the
    /// errors of the port's calls: for calls the reconciler never makes (a toolstack's `xs_introduce_domain`, which
    /// test support makes to fire `@introduceDomain`). `body` returns `nil` on failure with `errno` set.
    package func callOutsideTransaction<T: Sendable>(
        _ operation: String, _ path: XenStorePath?, _ body: (OpaquePointer) -> T?
    ) throws -> T {
        try call(operation, path, in: nil) { handle, _, _ in body(handle) }
    }
}

extension XenStorePermission {
    /// From libxenstore's form; flags other than read and write (owner, ignored) are dropped.
    init(_ entry: xs_permissions) {
        let access: Access
        switch entry.perms & UInt32(XS_PERM_READ | XS_PERM_WRITE) {
        case UInt32(XS_PERM_READ): access = .read
        case UInt32(XS_PERM_WRITE): access = .write
        case UInt32(XS_PERM_READ | XS_PERM_WRITE): access = .both
        default: access = .none
        }
        self.init(domid: entry.id, access: access)
    }
}

extension xs_permissions {
    init(_ permission: XenStorePermission) {
        let perms: Int32
        switch permission.access {
        case .none: perms = XS_PERM_NONE
        case .read: perms = XS_PERM_READ
        case .write: perms = XS_PERM_WRITE
        case .both: perms = XS_PERM_READ | XS_PERM_WRITE
        }
        self.init(id: permission.domid, perms: UInt32(perms))
    }
}
