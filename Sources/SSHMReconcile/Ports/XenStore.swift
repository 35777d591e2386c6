import SSHMCore

/// An absolute xenstore path such as `/libxl/static_shm/telemetry`.
package struct XenStorePath: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    package let rawValue: String

    package init(_ rawValue: String) { self.rawValue = rawValue }
    package init(stringLiteral value: String) { self.rawValue = value }

    /// `self/component` (a single path element, no `/`).
    package func appending(_ component: some CustomStringConvertible) -> XenStorePath {
        XenStorePath(rawValue == "/" ? "/\(component)" : "\(rawValue)/\(component)")
    }

    /// The last path element.
    package var lastComponent: Substring {
        rawValue[rawValue.index(after: rawValue.lastIndex(of: "/") ?? rawValue.startIndex)...]
    }

    package var description: String { rawValue }
    package static func < (lhs: XenStorePath, rhs: XenStorePath) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A transaction handle, valid on the `XenStore` that started it.
package struct XenStoreTransaction: Hashable, Sendable {
    package let id: UInt32
    package init(id: UInt32) { self.id = id }
}

/// One entry of a node's permission list. The first entry names the owner and sets the access of every domain
/// that is not listed.
package struct XenStorePermission: Hashable, Sendable, CustomStringConvertible {
    package enum Access: Character, Sendable {
        case none = "n"
        case read = "r"
        case write = "w"
        case both = "b"
    }

    package var domid: UInt32
    package var access: Access

    package init(domid: UInt32, access: Access) {
        self.domid = domid
        self.access = access
    }

    /// Parses the `xenstore-chmod` form, e.g. `n0` or `r5`.
    package init?(_ text: some StringProtocol) { self.init(utf8: text.utf8) }

    /// The same from bytes, as a reply carries them: one access letter, then the domid in decimal digits (no sign,
    /// no overflow). A no-op pass parses one per node it reads, so this makes no string.
    package init?(utf8 bytes: some Collection<UInt8>) {
        guard let letter = bytes.first else { return nil }
        let access: Access
        switch letter {
        case UInt8(ascii: "n"): access = .none
        case UInt8(ascii: "r"): access = .read
        case UInt8(ascii: "w"): access = .write
        case UInt8(ascii: "b"): access = .both
        default: return nil
        }
        var domid: UInt32 = 0
        var digits = 0
        for byte in bytes.dropFirst() {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let (times10, overflowed) = domid.multipliedReportingOverflow(by: 10)
            let (sum, carried) = times10.addingReportingOverflow(UInt32(byte - UInt8(ascii: "0")))
            guard !overflowed, !carried else { return nil }
            domid = sum
            digits += 1
        }
        guard digits > 0 else { return nil }
        self.init(domid: domid, access: access)
    }

    /// `n0`: owned by dom0, no access for anyone else.
    package static let dom0Only: [XenStorePermission] = [XenStorePermission(domid: 0, access: .none)]

    package var description: String { "\(access.rawValue)\(domid)" }
}

/// What a watch reports: the path that changed (or the watched path itself on registration) and the watch's token.
package struct XenStoreWatchEvent: Hashable, Sendable {
    package var path: String
    package var token: String

    package init(path: String, token: String) {
        self.path = path
        self.token = token
    }
}

/// One read of a batch given to ``XenStore/readMany(_:)``.
package enum XenStoreQuery: Hashable, Sendable {
    case read(XenStorePath)
    case directory(XenStorePath)
    case permissions(XenStorePath)

    package var path: XenStorePath {
        switch self {
        case .read(let path), .directory(let path), .permissions(let path): path
        }
    }
}

/// The answer to one ``XenStoreQuery``: what ``XenStore/read(_:in:)``, ``XenStore/directory(_:in:)`` or
/// ``XenStore/permissions(_:in:)`` would return.
package enum XenStoreAnswer: Hashable, Sendable {
    case value(String?)
    case children([String]?)
    case permissions([XenStorePermission]?)

    /// The value read; `nil` for a missing node or a directory answer.
    package var value: String? {
        if case .value(let value) = self { value } else { nil }
    }

    /// The children listed; `nil` for a missing node or a read answer.
    package var children: [String]? {
        if case .children(let children) = self { children } else { nil }
    }

    /// The permissions read; `nil` for a missing node or another kind of answer.
    package var permissions: [XenStorePermission]? {
        if case .permissions(let permissions) = self { permissions } else { nil }
    }
}

/// The xenstore database, as the reconciler needs it.
///
/// Every method **blocks** until the daemon answers: call them from a ``BlockingExecutor`` thread, never from
/// Swift's cooperative pool. `tx == nil` means "outside any transaction".
///
/// Absence is a value (`nil`), never an error. A transaction that conflicts with another writer fails its
/// `commit` with ``XenStoreError/Code/conflict``, which is retriable (see ``withTransaction(_:policy:_:)``).
///
/// What callers may rely on across daemons (C xenstored and oxenstored differ): a commit **may** fail with a
/// conflict whenever another connection changed a node the transaction read, wrote or listed, including a
/// parent whose child list changed. oxenstored merges some such transactions instead; callers must be correct
/// either way, so they read inside the transaction every node they base a decision on.
///
/// Inside a transaction a store may queue the changes (write, mkdir, remove, permissions) and send them together at
/// the transaction's next read, listing or commit (``LibXenStore`` does: one round trip for all of them). A change's
/// error then surfaces at that later call, naming the change's path, and the transaction is over with nothing of it
/// written. So a transaction does its reads first and its writes after, and an error from any of its calls fails it
/// as a whole.
package protocol XenStore: AnyObject, Sendable {
    /// Reads a node's value. Returns `nil` if the node does not exist.
    func read(_ path: XenStorePath, in tx: XenStoreTransaction?) throws -> String?
    /// Writes a node's value, creating it and any missing parents.
    func write(_ path: XenStorePath, _ value: String, in tx: XenStoreTransaction?) throws
    /// Creates a node (and missing parents) with an empty value; an existing node is left as it is.
    func mkdir(_ path: XenStorePath, in tx: XenStoreTransaction?) throws
    /// Removes a node and its whole subtree. Removing a missing node is not an error.
    func remove(_ path: XenStorePath, in tx: XenStoreTransaction?) throws
    /// Lists a node's children (names, not paths). Returns `nil` if the node does not exist.
    func directory(_ path: XenStorePath, in tx: XenStoreTransaction?) throws -> [String]?
    /// Reads a node's permissions. Returns `nil` if the node does not exist.
    func permissions(_ path: XenStorePath, in tx: XenStoreTransaction?) throws -> [XenStorePermission]?
    /// Replaces a node's permissions.
    func setPermissions(_ path: XenStorePath, _ permissions: [XenStorePermission], in tx: XenStoreTransaction?) throws

    /// Starts a transaction.
    func startTransaction() throws -> XenStoreTransaction
    /// Commits. Throws ``XenStoreError`` with code `.conflict` when another writer got in first: nothing of the
    /// transaction took effect, and the caller may start over.
    func commit(_ tx: XenStoreTransaction) throws
    /// Abandons a transaction. Idempotent; never throws.
    func abort(_ tx: XenStoreTransaction)

    /// Registers a watch on `path` (a node, `@introduceDomain` or `@releaseDomain`). It fires once right away
    /// with the watched path, then for every change at or below it; events arrive on ``watchEvents``.
    func watch(_ path: XenStorePath, token: String) throws
    /// Removes a watch registered with the same path and token.
    func unwatch(_ path: XenStorePath, token: String) throws
    /// Every event of every watch of this store, in order. One consumer at a time.
    var watchEvents: AsyncStream<XenStoreWatchEvent> { get }

    /// Lists a directory that may be too large for one reply (a listing of every region id), in a way that
    /// cannot break this store's connection. Returns `nil` if the node does not exist.
    func directoryOnThrowawayHandle(_ path: XenStorePath) throws -> [String]?

    /// Answers reads and listings outside any transaction, in order, exactly as the same calls one by one would
    /// (they are not a snapshot either). A store may send them together to save round trips.
    func readMany(_ queries: [XenStoreQuery]) throws -> [XenStoreAnswer]

    /// ``readMany(_:)``, handing each answer to `each` with its query's index, in order, as it arrives: a store that
    /// sends the queries together lets the caller's work on one answer overlap the daemon's on the next. An error
    /// is thrown after the answers before it were handed on, and none after it are.
    func readMany(_ queries: [XenStoreQuery], each: (Int, XenStoreAnswer) -> Void) throws

    /// Answers reads and listings inside transaction `tx`, in order, exactly as the same calls one by one would:
    /// they see the transaction's own changes. A store may send them together (with the changes queued before
    /// them) to save round trips; an error ends the transaction as any call's would.
    func readMany(_ queries: [XenStoreQuery], in tx: XenStoreTransaction) throws -> [XenStoreAnswer]
}

extension XenStore {
    /// Lists a directory that may be too large for one reply on a throwaway connection, so that the daemon
    /// dropping the connection (oxenstored does, over 4096 bytes) cannot take this store's handle with it.
    /// Stores without such a failure mode list directly.
    package func directoryOnThrowawayHandle(_ path: XenStorePath) throws -> [String]? {
        try directory(path, in: nil)
    }

    /// One call per query.
    package func readMany(_ queries: [XenStoreQuery]) throws -> [XenStoreAnswer] { try readOneByOne(queries) }

    /// ``readMany(_:)``, then each answer.
    package func readMany(_ queries: [XenStoreQuery], each: (Int, XenStoreAnswer) -> Void) throws {
        for (index, answer) in try readMany(queries).enumerated() { each(index, answer) }
    }

    /// One call per query.
    package func readMany(_ queries: [XenStoreQuery], in tx: XenStoreTransaction) throws -> [XenStoreAnswer] {
        try readOneByOne(queries, in: tx)
    }

    /// ``readMany(_:)`` (or ``readMany(_:in:)`` with `tx`) as one call per query, for stores that cannot send them
    /// together.
    package func readOneByOne(_ queries: [XenStoreQuery], in tx: XenStoreTransaction? = nil) throws -> [XenStoreAnswer]
    {
        try queries.map { query in
            switch query {
            case .read(let path): .value(try read(path, in: tx))
            case .directory(let path): .children(try directory(path, in: tx))
            case .permissions(let path): .permissions(try permissions(path, in: tx))
            }
        }
    }
}
