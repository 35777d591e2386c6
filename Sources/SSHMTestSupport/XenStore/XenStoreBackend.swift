import Logging
import SSHMReconcile
import SSHMXen
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A store the contract runs on: the in-memory fake, or a real daemon of the running suite (``XenstoredTrait``).
package enum XenStoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case inMemory = "in-memory fake"
    case cXenstored = "C xenstored"
    case oxenstored = "oxenstored"

    /// The daemon a real back end needs in the suite's traits.
    package var daemon: XenstoredSandbox.Daemon? {
        switch self {
        case .inMemory: nil
        case .cXenstored: .c
        case .oxenstored: .ocaml
        }
    }

    package var testDescription: String { rawValue }

    /// Two fresh connections and a root of this test's own, already created. The fake gets a new database (with
    /// `defects`); a real back end connects twice to the suite's daemon.
    ///
    /// The root exists before the test starts so that a test's transactions touch only its own subtree: creating the
    /// root in a transaction would change the child list of `/sshm-test`, which every parallel test also changes,
    /// and the C daemon would report a conflict.
    package func makeFixture(
        defects: Set<InMemoryXenStore.Defect> = [], watchDeadline: Duration = .seconds(10)
    ) throws -> XenStoreFixture {
        let root = XenStoreFixture.uniqueRoot()
        let fixture: XenStoreFixture
        switch daemon {
        case nil:
            let store = InMemoryXenStore(defects: defects)
            fixture = XenStoreFixture(
                backend: self, store: store, other: store.connect(), root: root, watchDeadline: watchDeadline)
        case let daemon?:
            let socket = try XenstoredSandbox.current(daemon).socketPath
            let store = try LibXenStore.open(socketPath: socket, logger: .quiet)
            let other = try LibXenStore.open(socketPath: socket, logger: .quiet)
            fixture = XenStoreFixture(
                backend: self, store: store, other: other, root: root, watchDeadline: watchDeadline)
        }
        do {
            try fixture.store.mkdir(root, in: nil)
        } catch {
            fixture.close()
            throw error
        }
        return fixture
    }

    /// Runs `body` with a fresh fixture and closes it afterwards, also when `body` throws.
    package func withFixture(
        defects: Set<InMemoryXenStore.Defect> = [], watchDeadline: Duration = .seconds(10),
        _ body: (XenStoreFixture) async throws -> Void
    ) async throws {
        let fixture = try makeFixture(defects: defects, watchDeadline: watchDeadline)
        do {
            try await body(fixture)
        } catch {
            fixture.close()
            throw error
        }
        fixture.close()
    }
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

    init(
        backend: XenStoreBackend, store: any DomainIntroducing, other: any DomainIntroducing, root: XenStorePath,
        watchDeadline: Duration
    ) {
        self.backend = backend
        self.store = store
        self.other = other
        self.root = root
        self.watchDeadline = watchDeadline
    }

    static func uniqueRoot() -> XenStorePath {
        XenStorePath("/sshm-test/\(getpid())-\(counter.wrappingAdd(1, ordering: .relaxed).newValue)")
    }

    /// Removes the root and closes both connections.
    package func close() {
        try? store.remove(root, in: nil)
        for connection in [store, other] {
            (connection as? LibXenStore)?.close()
            (connection as? InMemoryXenStore)?.close()
        }
    }
}

extension Logger {
    /// A logger that drops everything, for stores whose logs a test does not look at.
    package static let quiet = Logger(label: "sshm-reconcile.test", factory: { _ in SwiftLogNoOpLogHandler() })
}
