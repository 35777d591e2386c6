import SSHMReconcile
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The database behind one or more ``InMemoryXenStore`` connections: the tree, the connections' watches and open
/// transactions, and the introduced domains. One lock guards all of it; every request is atomic.
final class InMemoryXenStoreDatabase: Sendable {
    struct Watch: Hashable {
        var path: String
        var token: String
    }

    /// A transaction in the C daemon's style: reads go to the live tree (read-your-writes from `changes`), and the
    /// generation of every node it touched is recorded; commit fails if any of them changed meanwhile.
    struct Transaction {
        var changes: [String: XenStoreNode?] = [:]
        /// Generation first seen per touched path; `nil` when the node did not exist.
        var accessed: [String: UInt64?] = [:]
        var fired: [XenStoreChange] = []
    }

    struct Connection {
        var continuation: AsyncStream<XenStoreWatchEvent>.Continuation
        var watches: [Watch] = []
        var transactions: [UInt32: Transaction] = [:]
        var nextTransaction: UInt32 = 1
        var counters = InMemoryXenStore.Counters()
    }

    struct State {
        var nodes: [String: XenStoreNode]
        var nextGeneration: UInt64 = 1
        var connections: [Int: Connection] = [:]
        var nextConnection = 1
        var introduced: Set<UInt32> = []
    }

    let defects: Set<InMemoryXenStore.Defect>
    let state: Mutex<State>

    /// A tree like a freshly started C xenstored's: `/`, `/tool`, `/tool/xenstored`, all `n0`.
    init(defects: Set<InMemoryXenStore.Defect>) {
        self.defects = defects
        let dom0Only = XenStorePermission.dom0Only
        state = Mutex(
            State(nodes: [
                "/": XenStoreNode(value: "", permissions: dom0Only, children: ["tool"]),
                "/tool": XenStoreNode(value: "", permissions: dom0Only, children: ["xenstored"]),
                "/tool/xenstored": XenStoreNode(value: "", permissions: dom0Only),
            ]))
    }
}

extension InMemoryXenStoreDatabase.State {
    /// Applies changes to the live tree, each with a fresh generation, and returns what watches should see.
    mutating func applyLive<T>(
        _ body: (inout LiveTreeAccess) throws(Errno) -> T
    ) throws(Errno) -> (T, [XenStoreChange]) {
        var access = LiveTreeAccess(nextGeneration: nextGeneration)
        swap(&access.nodes, &nodes)
        defer {
            swap(&access.nodes, &nodes)
            nextGeneration = access.nextGeneration
        }
        let result = try body(&access)
        return (result, access.changes)
    }

    /// Sends every watch of every connection that `changes` concern its event.
    func fire(_ changes: [XenStoreChange]) {
        for change in changes {
            for connection in connections.values {
                for watch in connection.watches {
                    if XenStoreTree.isAtOrBelow(change.path, watch.path) {
                        connection.continuation.yield(XenStoreWatchEvent(path: change.path, token: watch.token))
                    } else if change.isRemoval && XenStoreTree.isAtOrBelow(watch.path, change.path) {
                        // A watched node removed with an ancestor reports its own path.
                        connection.continuation.yield(XenStoreWatchEvent(path: watch.path, token: watch.token))
                    }
                }
            }
        }
    }
}

/// Direct access to the live tree.
struct LiveTreeAccess: XenStoreTreeAccess {
    var nodes: [String: XenStoreNode] = [:]
    var nextGeneration: UInt64
    var changes: [XenStoreChange] = []

    mutating func node(_ path: String) -> XenStoreNode? { nodes[path] }

    mutating func setNode(_ path: String, _ node: XenStoreNode?) {
        guard var node else {
            nodes[path] = nil
            return
        }
        node.generation = nextGeneration
        nextGeneration += 1
        nodes[path] = node
    }

    mutating func changed(_ change: XenStoreChange) { changes.append(change) }
}

/// A transaction's view: its own changes over the live tree, recording what it touched.
struct TransactionTreeAccess: XenStoreTreeAccess {
    let live: [String: XenStoreNode]
    var transaction: InMemoryXenStoreDatabase.Transaction

    mutating func node(_ path: String) -> XenStoreNode? {
        if let change = transaction.changes[path] { return change }
        if transaction.accessed.index(forKey: path) == nil {
            transaction.accessed[path] = .some(live[path]?.generation)
        }
        return live[path]
    }

    mutating func setNode(_ path: String, _ node: XenStoreNode?) {
        _ = self.node(path)
        transaction.changes[path] = .some(node)
    }

    mutating func changed(_ change: XenStoreChange) { transaction.fired.append(change) }
}
