import SSHMReconcile
import SSHMTestSupport
import SSHMXen

extension EngineHarness {
    /// Runs `body` with a fresh harness on `backend`, tearing it down afterwards; a real back end gets a private
    /// daemon of its own, whose log is kept when `body` throws.
    package static func with<T>(_ backend: XenStoreBackend, _ body: (EngineHarness) async throws -> T) async throws -> T
    {
        guard let daemon = backend.daemon else { return try await inMemory(body) }
        return try await XenstoredSandbox.withPrivate(daemon) { sandboxes in
            let socket = sandboxes[0].socketPath
            let store = try LibXenStore.open(socketPath: socket, logger: .quiet)
            let other = try LibXenStore.open(socketPath: socket, logger: .quiet)
            let harness = try EngineHarness(backend: backend, store: store, other: other) {
                store.close()
                other.close()
            }
            defer { harness.cleanUp() }
            return try await body(harness)
        }
    }
}
