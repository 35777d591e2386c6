import SSHMReconcile

#if canImport(Glibc)
    import Glibc
#endif

/// One node of the in-memory tree.
struct XenStoreNode: Sendable {
    var value: String
    var permissions: [XenStorePermission]
    var children: Set<String> = []
    /// Bumped on every change of the node, its permissions or its child list: what the C daemon compares at commit.
    var generation: UInt64 = 0
}

/// A change a watch may fire for: `path` changed; `isRemoval` also fires watches below it (at their own path).
struct XenStoreChange: Sendable {
    var path: String
    var isRemoval: Bool
}

/// The tree as one request sees it: the live nodes, or a transaction's changes over them.
protocol XenStoreTreeAccess {
    mutating func node(_ path: String) -> XenStoreNode?
    mutating func setNode(_ path: String, _ node: XenStoreNode?)
    mutating func changed(_ change: XenStoreChange)
}

/// The operations of the in-memory xenstore, written once for live and transactional access. They follow the C
/// xenstored 4.17 where the daemons agree, and the stricter daemon where they differ.
enum XenStoreTree {
    /// oxenstored's `quota-maxsize`, which it applies to dom0 too; the C daemon exempts dom0.
    static let maxValueLength = 2048
    /// oxenstored's `quota-path-max`.
    static let maxPathLength = 1024

    /// A request of the port, as data.
    enum Request {
        case read, mkdir, remove, directory, permissions
        case write(String)
        case setPermissions([XenStorePermission])

        var isWrite: Bool {
            switch self {
            case .read, .directory, .permissions: false
            case .write, .mkdir, .remove, .setPermissions: true
            }
        }
    }

    enum Reply: Sendable {
        case done
        case value(String?)
        case names([String]?)
        case permissions([XenStorePermission]?)
    }

    static func perform(
        _ request: Request, _ path: String, _ tree: inout some XenStoreTreeAccess
    ) throws(Errno) -> Reply {
        switch request {
        case .read: return .value(read(path, &tree))
        case .directory: return .names(directory(path, &tree))
        case .permissions: return .permissions(permissions(path, &tree))
        case .write(let value): try write(path, value, &tree)
        case .mkdir: try mkdir(path, &tree)
        case .remove: try remove(path, &tree)
        case .setPermissions(let permissions): try setPermissions(path, permissions, &tree)
        }
        return .done
    }

    static func read(_ path: String, _ tree: inout some XenStoreTreeAccess) -> String? {
        tree.node(path)?.value
    }

    static func write(_ path: String, _ value: String, _ tree: inout some XenStoreTreeAccess) throws(Errno) {
        guard value.utf8.count <= maxValueLength else { throw Errno(E2BIG) }
        var node = try createIfMissing(path, &tree)
        node.value = value
        tree.setNode(path, node)
        tree.changed(XenStoreChange(path: path, isRemoval: false))
    }

    static func mkdir(_ path: String, _ tree: inout some XenStoreTreeAccess) throws(Errno) {
        guard tree.node(path) == nil else { return }
        let node = try createIfMissing(path, &tree)
        tree.setNode(path, node)
        tree.changed(XenStoreChange(path: path, isRemoval: false))
    }

    static func remove(_ path: String, _ tree: inout some XenStoreTreeAccess) throws(Errno) {
        guard path != "/" else { throw Errno(EINVAL) }
        guard tree.node(path) != nil else { return }
        removeSubtree(path, &tree)
        let (parentPath, name) = split(path)
        if var parent = tree.node(parentPath) {
            parent.children.remove(name)
            tree.setNode(parentPath, parent)
        }
        tree.changed(XenStoreChange(path: path, isRemoval: true))
    }

    static func directory(_ path: String, _ tree: inout some XenStoreTreeAccess) -> [String]? {
        tree.node(path).map { $0.children.sorted() }
    }

    static func permissions(_ path: String, _ tree: inout some XenStoreTreeAccess) -> [XenStorePermission]? {
        tree.node(path)?.permissions
    }

    static func setPermissions(
        _ path: String, _ permissions: [XenStorePermission], _ tree: inout some XenStoreTreeAccess
    ) throws(Errno) {
        guard !permissions.isEmpty else { throw Errno(EINVAL) }
        guard var node = tree.node(path) else { throw Errno(ENOENT) }
        node.permissions = permissions
        tree.setNode(path, node)
        tree.changed(XenStoreChange(path: path, isRemoval: false))
    }

    /// `[A-Za-z0-9-/_@]`, absolute, no empty element, no trailing `/`, at most ``maxPathLength`` bytes.
    static func validate(_ path: String) throws(Errno) {
        let bytes = Array(path.utf8)
        guard bytes.first == UInt8(ascii: "/"), bytes.count <= maxPathLength else { throw Errno(EINVAL) }
        if bytes.count == 1 { return }
        guard bytes.last != UInt8(ascii: "/"), !path.contains("//") else { throw Errno(EINVAL) }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "/"), UInt8(ascii: "_"),
                UInt8(ascii: "@"):
                continue
            default:
                throw Errno(EINVAL)
            }
        }
    }

    /// The parent's path and the last element; the root's parent is itself.
    static func split(_ path: String) -> (parent: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("/", path) }
        let parent = slash == path.startIndex ? "/" : String(path[..<slash])
        return (parent, String(path[path.index(after: slash)...]))
    }

    /// Whether `path` is `ancestor` or below it.
    static func isAtOrBelow(_ path: String, _ ancestor: String) -> Bool {
        if path == ancestor { return true }
        if ancestor == "/" { return path.hasPrefix("/") }
        return path.hasPrefix(ancestor + "/")
    }

    /// The existing node at `path`, or a new empty one after creating missing parents. New nodes inherit their
    /// parent's permissions, as the daemons do for dom0. Like the C daemon, implicitly created parents fire no watch
    /// of their own: a watch on a parent fires for the path written, which is below it.
    private static func createIfMissing(
        _ path: String, _ tree: inout some XenStoreTreeAccess
    ) throws(Errno) -> XenStoreNode {
        if let node = tree.node(path) { return node }
        guard path != "/" else { throw Errno(EINVAL) }
        let (parentPath, name) = split(path)
        var parent = try createIfMissing(parentPath, &tree)
        parent.children.insert(name)
        tree.setNode(parentPath, parent)
        return XenStoreNode(value: "", permissions: parent.permissions)
    }

    private static func removeSubtree(_ path: String, _ tree: inout some XenStoreTreeAccess) {
        guard let node = tree.node(path) else { return }
        for child in node.children {
            removeSubtree(path == "/" ? "/\(child)" : "\(path)/\(child)", &tree)
        }
        tree.setNode(path, nil)
    }
}

/// An errno from the fake, turned into a ``XenStoreError`` by the connection that made the request.
struct Errno: Error {
    var value: Int32
    init(_ value: Int32) { self.value = value }
}
