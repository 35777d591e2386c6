import Synchronization

@testable import SSHMReconcile

/// A minimal xenstore for contract tests: a dictionary of paths, transactions applied at once (no isolation).
///
/// Stand-in until `SSHMTestSupport`'s shared in-memory store lands; only what the hypervisor contract and the
/// simulator read is faithful here (values, children, absence).
final class DictionaryXenStore: XenStore {
    private let nodes = Mutex<[String: String]>(["/": ""])

    /// Writes `path = value` for each pair, creating parents.
    init(_ values: [String: String] = [:]) {
        for (path, value) in values { write(XenStorePath(path), value) }
    }

    private static func parents(of path: String) -> [String] {
        var result: [String] = []
        var current = path
        while let slash = current.lastIndex(of: "/"), current != "/" {
            current = slash == current.startIndex ? "/" : String(current[..<slash])
            result.append(current)
        }
        return result
    }

    func read(_ path: XenStorePath, in tx: XenStoreTransaction? = nil) -> String? {
        nodes.withLock { $0[path.rawValue] }
    }

    func write(_ path: XenStorePath, _ value: String, in tx: XenStoreTransaction? = nil) {
        nodes.withLock { nodes in
            for parent in Self.parents(of: path.rawValue) where nodes[parent] == nil { nodes[parent] = "" }
            nodes[path.rawValue] = value
        }
    }

    func mkdir(_ path: XenStorePath, in tx: XenStoreTransaction?) {
        if read(path) == nil { write(path, "") }
    }

    func remove(_ path: XenStorePath, in tx: XenStoreTransaction?) {
        nodes.withLock { nodes in
            for key in nodes.keys where key == path.rawValue || key.hasPrefix(path.rawValue + "/") { nodes[key] = nil }
        }
    }

    func directory(_ path: XenStorePath, in tx: XenStoreTransaction?) -> [String]? {
        nodes.withLock { nodes in
            guard nodes[path.rawValue] != nil else { return nil }
            let prefix = path.rawValue == "/" ? "/" : path.rawValue + "/"
            return Set(nodes.keys.filter { $0.hasPrefix(prefix) && $0 != prefix }.compactMap {
                $0.dropFirst(prefix.count).split(separator: "/").first.map(String.init)
            }).sorted()
        }
    }

    func permissions(_ path: XenStorePath, in tx: XenStoreTransaction?) -> [XenStorePermission]? {
        read(path).map { _ in XenStorePermission.dom0Only }
    }

    func setPermissions(_ path: XenStorePath, _ permissions: [XenStorePermission], in tx: XenStoreTransaction?) {}
    func startTransaction() -> XenStoreTransaction { XenStoreTransaction(id: 1) }
    func commit(_ tx: XenStoreTransaction) {}
    func abort(_ tx: XenStoreTransaction) {}
    func watch(_ path: XenStorePath, token: String) {}
    func unwatch(_ path: XenStorePath, token: String) {}
    var watchEvents: AsyncStream<XenStoreWatchEvent> { AsyncStream { $0.finish() } }
}
