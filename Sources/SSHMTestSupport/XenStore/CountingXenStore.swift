import SSHMReconcile
import Synchronization

/// Wraps any store and counts what passes through: on a real daemon too, "a no-op pass writes nothing" is then a
/// number.
package final class CountingXenStore: XenStore {
    package struct Counts: Hashable, Sendable {
        /// Writes, mkdirs, removals and permission changes.
        package var mutations = 0
        /// Every request, transactions included.
        package var requests = 0
        /// Transactions started.
        package var transactions = 0
    }

    /// Paths whose writes fail with this error (a quota, say): for tests of failure isolation.
    private let failing: (prefix: String, error: XenStoreError)?

    /// Runs before a mutation in a transaction passes on (operation `xs_write`, `xs_rm`, `xs_set_permissions`…):
    /// another writer's request can then land at an exact point of the engine's transaction.
    package typealias Interference = @Sendable (_ operation: String, _ path: XenStorePath) -> Void

    private let base: any XenStore
    private let counts = Mutex(Counts())
    private let interference: Interference?

    package init(
        _ base: any XenStore, failingWritesUnder prefix: String? = nil, interference: Interference? = nil
    ) {
        self.base = base
        self.interference = interference
        failing = prefix.map {
            ($0, XenStoreError(code: .quotaExceeded, operation: "xs_write", path: XenStorePath($0), errno: 28))
        }
    }

    package var current: Counts { counts.withLock { $0 } }

    private func count<T>(
        mutation operation: String? = nil, _ path: XenStorePath? = nil, in tx: XenStoreTransaction? = nil,
        _ body: () throws -> T
    ) rethrows -> T {
        if let operation, let path, tx != nil { interference?(operation, path) }
        let mutation = operation != nil
        counts.withLock {
            $0.requests += 1
            if mutation { $0.mutations += 1 }
        }
        return try body()
    }

    package func read(_ path: XenStorePath, in tx: XenStoreTransaction?) throws -> String? {
        try count { try base.read(path, in: tx) }
    }
    package func write(_ path: XenStorePath, _ value: String, in tx: XenStoreTransaction?) throws {
        if let failing, path.rawValue.hasPrefix(failing.prefix) { throw failing.error }
        try count(mutation: "xs_write", path, in: tx) { try base.write(path, value, in: tx) }
    }
    package func mkdir(_ path: XenStorePath, in tx: XenStoreTransaction?) throws {
        try count(mutation: "xs_mkdir", path, in: tx) { try base.mkdir(path, in: tx) }
    }
    package func remove(_ path: XenStorePath, in tx: XenStoreTransaction?) throws {
        try count(mutation: "xs_rm", path, in: tx) { try base.remove(path, in: tx) }
    }
    package func directory(_ path: XenStorePath, in tx: XenStoreTransaction?) throws -> [String]? {
        try count { try base.directory(path, in: tx) }
    }
    package func directoryOnThrowawayHandle(_ path: XenStorePath) throws -> [String]? {
        try count { try base.directoryOnThrowawayHandle(path) }
    }
    /// Counts each query as a request, and passes the batch on whole (so that a pipelining store still pipelines).
    package func readMany(_ queries: [XenStoreQuery]) throws -> [XenStoreAnswer] {
        counts.withLock { $0.requests += queries.count }
        return try base.readMany(queries)
    }
    package func readMany(_ queries: [XenStoreQuery], each: (Int, XenStoreAnswer) -> Void) throws {
        counts.withLock { $0.requests += queries.count }
        try base.readMany(queries, each: each)
    }
    package func readMany(_ queries: [XenStoreQuery], in tx: XenStoreTransaction) throws -> [XenStoreAnswer] {
        counts.withLock { $0.requests += queries.count }
        return try base.readMany(queries, in: tx)
    }
    package func permissions(_ path: XenStorePath, in tx: XenStoreTransaction?) throws -> [XenStorePermission]? {
        try count { try base.permissions(path, in: tx) }
    }
    package func setPermissions(
        _ path: XenStorePath, _ permissions: [XenStorePermission], in tx: XenStoreTransaction?
    ) throws {
        try count(mutation: "xs_set_permissions", path, in: tx) {
            try base.setPermissions(path, permissions, in: tx)
        }
    }
    package func startTransaction() throws -> XenStoreTransaction {
        counts.withLock { $0.transactions += 1 }
        return try count { try base.startTransaction() }
    }
    package func commit(_ tx: XenStoreTransaction) throws { try count { try base.commit(tx) } }
    package func abort(_ tx: XenStoreTransaction) { count { base.abort(tx) } }
    package func watch(_ path: XenStorePath, token: String) throws { try count { try base.watch(path, token: token) } }
    package func unwatch(_ path: XenStorePath, token: String) throws {
        try count { try base.unwatch(path, token: token) }
    }
    package var watchEvents: AsyncStream<XenStoreWatchEvent> { base.watchEvents }
}
