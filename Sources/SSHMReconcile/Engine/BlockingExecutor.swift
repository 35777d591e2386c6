import Dispatch

/// A dedicated serial queue for blocking work (libxenstore and libxenctrl calls, file locks), so that it never
/// ties up a thread of Swift's cooperative pool.
///
/// One `run` hops onto the queue once; everything inside runs synchronously there. A reconcile pass is one `run`.
package final class BlockingExecutor: Sendable {
    private let queue: DispatchQueue

    package init(label: String = "sshm-reconcile.blocking") {
        queue = DispatchQueue(label: label, qos: .userInitiated)
    }

    /// Runs `body` on the executor's thread and returns its result to the awaiting task.
    package func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
