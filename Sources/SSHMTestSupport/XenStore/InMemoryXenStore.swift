import SSHMCore
import SSHMReconcile
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An in-memory ``XenStore``: one connection to a database that more connections may share (``connect()``).
///
/// It follows the stricter daemon wherever the two differ, so that code passing against it passes on both:
/// - transactions conflict like the C xenstored's: a commit fails with `.conflict` when another connection changed
///   any node the transaction read, wrote or listed, including a parent whose child list changed (oxenstored merges
///   some of those); a failed commit leaves no trace;
/// - values over 2048 bytes are refused with E2BIG, as oxenstored does even for dom0; paths follow xenstore's
///   grammar and oxenstored's 1024-byte limit;
/// - watches fire once on registration and for every change at or below the watched path (transactional changes on
///   commit); `@introduceDomain` and `@releaseDomain` fire on ``introduceDomain(_:)`` and ``releaseDomain(_:)``.
///
/// ``Defect``s break one rule on purpose, to prove that the contract suite notices. ``counters`` count requests,
/// for tests such as "a pass that changes nothing writes nothing".
package final class InMemoryXenStore: XenStore {
    /// A deliberate bug, for checking that ``XenStoreContract`` fails on it.
    package enum Defect: String, CaseIterable, Sendable {
        /// Every commit succeeds.
        case noConflictDetection
        /// A new watch does not fire once on registration.
        case noInitialWatchEvent
        /// Reading a missing node throws instead of returning `nil`.
        case absentReadThrows
    }

    /// Requests made through one connection.
    package struct Counters: Hashable, Sendable {
        /// `read`, `directory`, `permissions`.
        package var reads = 0
        /// `write`, `mkdir`, `remove`, `setPermissions`.
        package var writes = 0
        /// Every request, transactions, watches and domain introductions included.
        package var roundTrips = 0

        package init(reads: Int = 0, writes: Int = 0, roundTrips: Int = 0) {
            self.reads = reads
            self.writes = writes
            self.roundTrips = roundTrips
        }
    }

    private typealias Database = InMemoryXenStoreDatabase

    private let database: InMemoryXenStoreDatabase
    private let id: Int
    package let watchEvents: AsyncStream<XenStoreWatchEvent>

    /// A fresh database and a first connection to it.
    package convenience init(defects: Set<Defect> = []) {
        self.init(database: InMemoryXenStoreDatabase(defects: defects))
    }

    private init(database: InMemoryXenStoreDatabase) {
        self.database = database
        let (events, continuation) = AsyncStream.makeStream(of: XenStoreWatchEvent.self)
        watchEvents = events
        id = database.state.withLock { state in
            let id = state.nextConnection
            state.nextConnection += 1
            state.connections[id] = InMemoryXenStoreDatabase.Connection(continuation: continuation)
            return id
        }
    }

    deinit { close() }

    /// Another connection to the same database, with its own transactions, watches and counters.
    package func connect() -> InMemoryXenStore { InMemoryXenStore(database: database) }

    /// Drops this connection's watches and open transactions and finishes ``watchEvents``. Idempotent.
    package func close() {
        let connection = database.state.withLock { $0.connections.removeValue(forKey: id) }
        connection?.continuation.finish()
    }

    /// Requests made through this connection so far.
    package var counters: Counters {
        database.state.withLock { $0.connections[id]?.counters ?? Counters() }
    }

    package func resetCounters() {
        database.state.withLock { $0.connections[id]?.counters = Counters() }
    }

    /// Every node at or below `path` with its value, for assertions on a whole tree.
    package func dump(under path: XenStorePath = "/") -> [XenStorePath: String] {
        database.state.withLock { state in
            var result: [XenStorePath: String] = [:]
            for (nodePath, node) in state.nodes where XenStoreTree.isAtOrBelow(nodePath, path.rawValue) {
                result[XenStorePath(nodePath)] = node.value
            }
            return result
        }
    }

    // MARK: - XenStore

    package func read(_ path: XenStorePath, in tx: XenStoreTransaction?) throws -> String? {
        guard case .value(let value) = try request("xs_read", .read, path, in: tx) else { return nil }
        if value == nil, database.defects.contains(.absentReadThrows) {
            throw XenStoreError(operation: "xs_read", path: path, errno: ENOENT)
        }
        return value
    }

    package func write(_ path: XenStorePath, _ value: String, in tx: XenStoreTransaction?) throws {
        _ = try request("xs_write", .write(value), path, in: tx)
    }

    package func mkdir(_ path: XenStorePath, in tx: XenStoreTransaction?) throws {
        _ = try request("xs_mkdir", .mkdir, path, in: tx)
    }

    package func remove(_ path: XenStorePath, in tx: XenStoreTransaction?) throws {
        _ = try request("xs_rm", .remove, path, in: tx)
    }

    package func directory(_ path: XenStorePath, in tx: XenStoreTransaction?) throws -> [String]? {
        guard case .names(let names) = try request("xs_directory", .directory, path, in: tx) else { return nil }
        return names
    }

    package func permissions(_ path: XenStorePath, in tx: XenStoreTransaction?) throws -> [XenStorePermission]? {
        let reply = try request("xs_get_permissions", .permissions, path, in: tx)
        guard case .permissions(let permissions) = reply else { return nil }
        return permissions
    }

    package func setPermissions(
        _ path: XenStorePath, _ permissions: [XenStorePermission], in tx: XenStoreTransaction?
    ) throws {
        _ = try request("xs_set_permissions", .setPermissions(permissions), path, in: tx)
    }

    package func startTransaction() throws -> XenStoreTransaction {
        try withConnection("xs_transaction_start", nil) { state, connection throws(XenStoreError) in
            let id = connection.nextTransaction
            connection.nextTransaction = id == UInt32.max ? 1 : id + 1
            connection.transactions[id] = InMemoryXenStoreDatabase.Transaction()
            return XenStoreTransaction(id: id)
        }
    }

    package func commit(_ tx: XenStoreTransaction) throws {
        let defects = database.defects
        let fired = try withConnection("xs_transaction_end", nil) { state, connection throws(XenStoreError) in
            guard let transaction = connection.transactions.removeValue(forKey: tx.id) else {
                throw XenStoreError(code: .unavailable, operation: "xs_transaction_end", path: nil, errno: ENOTCONN)
            }
            if !defects.contains(.noConflictDetection) {
                for (path, generation) in transaction.accessed where state.nodes[path]?.generation != generation {
                    throw XenStoreError(operation: "xs_transaction_end", path: nil, errno: EAGAIN)
                }
            }
            // Applying recorded changes cannot fail.
            _ = try? state.applyLive { tree throws(Errno) in
                for (path, node) in transaction.changes { tree.setNode(path, node) }
            }
            return transaction.fired
        }
        database.state.withLock { $0.fire(fired) }
    }

    package func abort(_ tx: XenStoreTransaction) {
        _ = try? withConnection("xs_transaction_end", nil) { _, connection throws(XenStoreError) in
            connection.transactions[tx.id] = nil
        }
    }

    package func watch(_ path: XenStorePath, token: String) throws {
        let initialEvent = !database.defects.contains(.noInitialWatchEvent)
        try withConnection("xs_watch", path) { _, connection throws(XenStoreError) in
            if !path.rawValue.hasPrefix("@") { try Self.validate(path, "xs_watch") }
            let watch = InMemoryXenStoreDatabase.Watch(path: path.rawValue, token: token)
            if !connection.watches.contains(watch) { connection.watches.append(watch) }
            if initialEvent { connection.continuation.yield(XenStoreWatchEvent(path: path.rawValue, token: token)) }
        }
    }

    package func unwatch(_ path: XenStorePath, token: String) throws {
        try withConnection("xs_unwatch", path) { _, connection throws(XenStoreError) in
            let watch = InMemoryXenStoreDatabase.Watch(path: path.rawValue, token: token)
            guard connection.watches.contains(watch) else {
                throw XenStoreError(operation: "xs_unwatch", path: path, errno: ENOENT)
            }
            connection.watches.removeAll { $0 == watch }
        }
    }

    // MARK: - Toolstack operations

    /// Like `xs_introduce_domain`: fires `@introduceDomain`.
    package func introduceDomain(_ domid: DomID) throws {
        try withConnection("xs_introduce_domain", Self.domainPath(domid)) { state, _ throws(XenStoreError) in
            _ = state.introduced.insert(domid.rawValue)
        }
        database.state.withLock { $0.fire([XenStoreChange(path: "@introduceDomain", isRemoval: false)]) }
    }

    /// Like `xs_release_domain`: fires `@releaseDomain`; a domain that was never introduced is ENOENT.
    package func releaseDomain(_ domid: DomID) throws {
        try withConnection("xs_release_domain", Self.domainPath(domid)) { state, _ throws(XenStoreError) in
            guard state.introduced.remove(domid.rawValue) != nil else {
                throw XenStoreError(operation: "xs_release_domain", path: Self.domainPath(domid), errno: ENOENT)
            }
        }
        database.state.withLock { $0.fire([XenStoreChange(path: "@releaseDomain", isRemoval: false)]) }
    }

    // MARK: - Requests

    /// One request on the tree, live or in `tx`; live changes fire watches at once.
    private func request(
        _ operation: String, _ request: XenStoreTree.Request, _ path: XenStorePath, in tx: XenStoreTransaction?
    ) throws -> XenStoreTree.Reply {
        let (reply, changes) = try withConnection(operation, path) { state, connection throws(XenStoreError) in
            if request.isWrite { connection.counters.writes += 1 } else { connection.counters.reads += 1 }
            try Self.validate(path, operation)
            guard let tx else {
                return try Self.mapErrno(operation, path) { () throws(Errno) in
                    try state.applyLive { tree throws(Errno) in
                        try XenStoreTree.perform(request, path.rawValue, &tree)
                    }
                }
            }
            // Taken out and put back, so that the transaction's tables are not copied on write.
            guard let transaction = connection.transactions.removeValue(forKey: tx.id) else {
                throw XenStoreError(code: .unavailable, operation: operation, path: path, errno: ENOTCONN)
            }
            var tree = TransactionTreeAccess(live: state.nodes, transaction: transaction)
            defer { connection.transactions[tx.id] = tree.transaction }
            let reply = try Self.mapErrno(operation, path) { () throws(Errno) in
                try XenStoreTree.perform(request, path.rawValue, &tree)
            }
            return (reply, [XenStoreChange]())
        }
        if !changes.isEmpty { database.state.withLock { $0.fire(changes) } }
        return reply
    }

    private static func validate(_ path: XenStorePath, _ operation: String) throws(XenStoreError) {
        try mapErrno(operation, path) { () throws(Errno) in try XenStoreTree.validate(path.rawValue) }
    }

    private static func mapErrno<T>(
        _ operation: String, _ path: XenStorePath, _ body: () throws(Errno) -> T
    ) throws(XenStoreError) -> T {
        do {
            return try body()
        } catch {
            throw XenStoreError(operation: operation, path: path, errno: error.value)
        }
    }

    /// Runs `body` on this connection's state under the database lock; counts one round trip.
    private func withConnection<T: Sendable>(
        _ operation: String, _ path: XenStorePath?,
        _ body: (inout Database.State, inout Database.Connection) throws(XenStoreError) -> T
    ) throws(XenStoreError) -> T {
        try database.state.withLock { state throws(XenStoreError) -> T in
            guard var connection = state.connections[id] else {
                throw XenStoreError(code: .unavailable, operation: operation, path: path, errno: EBADF)
            }
            connection.counters.roundTrips += 1
            defer { state.connections[id] = connection }
            return try body(&state, &connection)
        }
    }
}
