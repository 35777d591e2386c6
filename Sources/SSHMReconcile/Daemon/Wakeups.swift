import Synchronization

/// Why the daemon should look again. Posted by the event sources, consumed in batches by the daemon loop, so that a
/// burst of events becomes one pass.
package struct Wakeups: Sendable, Equatable {
    /// Paths xenstore watches reported, by watch token.
    package var paths: [String: Set<String>] = [:]
    /// More paths arrived than are worth tracking one by one: re-read everything.
    package var overflow = false
    package var domains = false
    package var config = false
    package var reload = false
    package var resync = false
    package var retry = false
    /// Time to write the conditions file (its writes are spaced out).
    package var flush = false
    /// Time to see whether the daemon has been quiet long enough to hand memory back.
    package var trim = false
    package var shutdown = false
    /// When the first of these wakeups was posted (for the daemon's debug log: how long an event waited).
    package var since: ContinuousClock.Instant?

    package init() {}

    package var isEmpty: Bool {
        var bare = self
        bare.since = nil
        return bare == Wakeups()
    }
}

/// A coalescing queue of ``Wakeups``: producers merge into the pending set and wake the single consumer.
package final class WakeQueue: Sendable {
    /// Past this many distinct paths a batch is treated as "everything changed".
    static let pathLimit = 4096

    private struct State {
        var pending = Wakeups()
        var waiter: CheckedContinuation<Wakeups, Never>?
    }

    private let state = Mutex(State())

    package init() {}

    /// Merges `update` into the pending wakeups and wakes the consumer.
    package func post(_ update: (inout Wakeups) -> Void) {
        let resumed: (CheckedContinuation<Wakeups, Never>, Wakeups)? = state.withLock { state in
            if state.pending.since == nil { state.pending.since = .now }
            update(&state.pending)
            if state.pending.paths.values.reduce(0, { $0 + $1.count }) > Self.pathLimit {
                state.pending.paths = [:]
                state.pending.overflow = true
            }
            guard let waiter = state.waiter else { return nil }
            state.waiter = nil
            let batch = state.pending
            state.pending = Wakeups()
            return (waiter, batch)
        }
        if let (waiter, batch) = resumed { waiter.resume(returning: batch) }
    }

    /// Records a watch event.
    package func post(path: String, token: String) {
        post { $0.paths[token, default: []].insert(path) }
    }

    /// Waits until something is pending, then returns everything pending and clears it.
    package func next() async -> Wakeups {
        await withCheckedContinuation { continuation in
            let ready: Wakeups? = state.withLock { state in
                if state.pending.isEmpty {
                    state.waiter = continuation
                    return nil
                }
                let batch = state.pending
                state.pending = Wakeups()
                return batch
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
