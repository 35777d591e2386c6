import Logging
import SSHMReconcile
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A store the contract runs on: the in-memory fake, or a real daemon of the running suite (`XenstoredTrait`, with
/// the fixtures, in SSHMXenTestSupport).
package enum XenStoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case inMemory = "in-memory fake"
    case cXenstored = "C xenstored"
    case oxenstored = "oxenstored"

    package var testDescription: String { rawValue }
}

/// Two connections to one store and a root path that no other test uses.
package final class XenStoreFixture: Sendable {
    private static let counter = Atomic<Int>(0)

    package let backend: XenStoreBackend
    package let store: any DomainIntroducing
    /// A second connection to the same database, for conflicts and watches from elsewhere.
    package let other: any DomainIntroducing
    /// `/sshm-test/<pid>-<n>`: tests of one suite share a daemon and run in parallel.
    package let root: XenStorePath
    /// How long a check waits for a watch event.
    package let watchDeadline: Duration

    private let closeStores: @Sendable () -> Void

    /// A fixture over two connections; `close` closes them.
    package init(
        backend: XenStoreBackend, store: any DomainIntroducing, other: any DomainIntroducing, root: XenStorePath,
        watchDeadline: Duration, close: @escaping @Sendable () -> Void
    ) {
        self.backend = backend
        self.store = store
        self.other = other
        self.root = root
        self.watchDeadline = watchDeadline
        self.closeStores = close
    }

    package static func uniqueRoot() -> XenStorePath {
        XenStorePath("/sshm-test/\(getpid())-\(counter.wrappingAdd(1, ordering: .relaxed).newValue)")
    }

    /// Removes the root and closes both connections.
    package func close() {
        try? store.remove(root, in: nil)
        closeStores()
    }
}

extension Logger {
    /// A logger that drops everything, for stores whose logs a test does not look at.
    package static let quiet = Logger(label: "sshm-reconcile.test", factory: { _ in SwiftLogNoOpLogHandler() })
}
