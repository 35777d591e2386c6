#if canImport(Glibc)
    import Glibc
#endif

/// How often and how patiently ``withTransaction(_:policy:_:)`` retries a conflicting transaction.
package struct RetryPolicy: Sendable {
    /// Total attempts, the first included. At least 1.
    package var attempts: Int
    /// Delay before the second attempt; doubles each time up to ``maxDelay``. Each wait is a random fraction
    /// ("full jitter") of it, so that racing writers spread out.
    package var baseDelay: Duration
    package var maxDelay: Duration
    /// Blocks the calling (non-cooperative) thread; replaced in tests.
    package var sleep: @Sendable (Duration) -> Void
    /// A number in `0..<1`; replaced in tests.
    package var random: @Sendable () -> Double

    package init(
        attempts: Int = 16,
        baseDelay: Duration = .microseconds(200),
        maxDelay: Duration = .milliseconds(50),
        sleep: @escaping @Sendable (Duration) -> Void = RetryPolicy.threadSleep,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.attempts = max(1, attempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.sleep = sleep
        self.random = random
    }

    /// The wait after failed attempt number `attempt` (1-based): a random part of `min(max, base * 2^(attempt-1))`.
    package func delay(afterAttempt attempt: Int) -> Duration {
        let exponent = min(attempt - 1, 30)
        let ceiling = min(maxDelay, baseDelay * (1 << exponent))
        return ceiling * random()
    }

    /// `nanosleep` on the calling thread.
    package static let threadSleep: @Sendable (Duration) -> Void = { duration in
        let (seconds, attoseconds) = duration.components
        guard seconds > 0 || attoseconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}

/// Where in a transaction an error came from.
package enum TransactionStage: Hashable, Sendable {
    /// The body's reads and writes (the transaction is still open).
    case body
    /// The commit (the transaction is over, whatever it answered).
    case commit
}

/// What ``withTransaction(_:policy:_:)`` does with an error, decided only by ``classify(_:in:attempt:policy:)``.
/// Pipelined writes extend the classification there, with a row in its table test.
package enum TransactionDisposition: Hashable, Sendable {
    /// Start the transaction over, after the policy's jittered wait.
    case retry
    /// Give up on this transaction and rethrow: the caller makes it the region's condition.
    case abort
    /// Xenstore went away: rethrow, the pass cannot go on.
    case unavailable

    /// How an error of `stage` in attempt number `attempt` (1-based) is handled: a conflict is retried while
    /// `policy` has attempts left, whether the commit reported it or, in the body, a pipelined change (a store may
    /// send a transaction's changes with its next read, see ``XenStore``): either way the daemon ended the
    /// transaction with nothing written, and the body reads again what it decides on. So is an `ENOENT`, from the
    /// body or from a pipelined change reported at the commit. Any other error of the body or the commit aborts; a
    /// lost connection ends the pass.
    ///
    /// An `ENOENT` is a conflict that came early: bodies read every node they decide on and report absence as `nil`,
    /// so a request that needs a node (`xs_set_permissions`) finds it gone only when another writer removed it after
    /// our reads. The C daemon's reads inside a transaction see the live store for nodes the transaction has not
    /// written: rewriting the existing leaves of a record another writer just created leaves the record node itself
    /// live, and setting its permissions then fails with `ENOENT` when that writer removes it; oxenstored works on a
    /// snapshot and reports the same race as `EAGAIN` at the commit (see `RacingWritersTests`). What persists past
    /// the budget is rethrown and makes the region `Degraded`.
    package static func classify(
        _ error: any Error, in stage: TransactionStage, attempt: Int, policy: RetryPolicy
    ) -> TransactionDisposition {
        guard let error = error as? XenStoreError else { return .abort }
        switch (error.code, stage) {
        case (.unavailable, _): return .unavailable
        case (.conflict, _) where attempt < policy.attempts: return .retry
        case (.notFound, _) where attempt < policy.attempts: return .retry
        default: return .abort
        }
    }
}

/// Runs `body` in a transaction and commits it, starting over on a conflict at most `policy.attempts` times.
///
/// `body` must only touch xenstore (no hypercalls: it may run several times) and must read inside the
/// transaction every node it bases a decision on. What happens on an error is decided by
/// ``TransactionDisposition/classify(_:in:attempt:policy:)``. When every attempt conflicted, the last conflict is
/// rethrown: it is retriable, and the caller requeues the work instead of looping forever as libxl does.
/// - Returns: what the committed attempt of `body` returned.
package func withTransaction<T>(
    _ store: any XenStore,
    policy: RetryPolicy,
    _ body: (XenStoreTransaction) throws -> T
) throws -> T {
    var attempt = 1
    while true {
        let tx = try store.startTransaction()
        let result: T
        do {
            result = try body(tx)
        } catch {
            store.abort(tx)
            if TransactionDisposition.classify(error, in: .body, attempt: attempt, policy: policy) == .retry {
                policy.sleep(policy.delay(afterAttempt: attempt))
                attempt += 1
                continue
            }
            throw error
        }
        do {
            try store.commit(tx)
            return result
        } catch {
            guard TransactionDisposition.classify(error, in: .commit, attempt: attempt, policy: policy) == .retry
            else { throw error }
            policy.sleep(policy.delay(afterAttempt: attempt))
            attempt += 1
        }
    }
}
