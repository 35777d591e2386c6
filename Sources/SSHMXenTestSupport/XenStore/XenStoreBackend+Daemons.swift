import SSHMReconcile
import SSHMTestSupport
import SSHMXen

extension XenStoreBackend {
    /// The daemon a real back end needs in the suite's traits.
    package var daemon: XenstoredSandbox.Daemon? {
        switch self {
        case .inMemory: nil
        case .cXenstored: .c
        case .oxenstored: .ocaml
        }
    }

    /// Two fresh connections and a root of this test's own, already created. The fake gets a new database (with
    /// `defects`); a real back end connects twice to the suite's daemon, the first one's watches through
    /// libxenstore if `watchesThroughLibxenstore` (else over the wire protocol on the daemon's socket).
    ///
    /// The root exists before the test starts so that a test's transactions touch only its own subtree: creating the
    /// root in a transaction would change the child list of `/sshm-test`, which every parallel test also changes,
    /// and the C daemon would report a conflict.
    package func makeFixture(
        defects: Set<InMemoryXenStore.Defect> = [], watchDeadline: Duration = .seconds(10),
        watchesThroughLibxenstore: Bool = false
    ) throws -> XenStoreFixture {
        let root = XenStoreFixture.uniqueRoot()
        let fixture: XenStoreFixture
        switch daemon {
        case nil:
            let store = InMemoryXenStore(defects: defects)
            let other = store.connect()
            fixture = XenStoreFixture(
                backend: self, store: store, other: other, root: root, watchDeadline: watchDeadline
            ) {
                store.close()
                other.close()
            }
        case let daemon?:
            let socket = try XenstoredSandbox.current(daemon).socketPath
            let store = try LibXenStore.open(
                socketPath: socket, logger: .quiet, watchesThroughLibxenstore: watchesThroughLibxenstore)
            let other = try LibXenStore.open(socketPath: socket, logger: .quiet)
            fixture = XenStoreFixture(
                backend: self, store: store, other: other, root: root, watchDeadline: watchDeadline
            ) {
                store.close()
                other.close()
            }
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
        watchesThroughLibxenstore: Bool = false, _ body: (XenStoreFixture) async throws -> Void
    ) async throws {
        let fixture = try makeFixture(
            defects: defects, watchDeadline: watchDeadline, watchesThroughLibxenstore: watchesThroughLibxenstore)
        do {
            try await body(fixture)
        } catch {
            fixture.close()
            throw error
        }
        fixture.close()
    }
}
