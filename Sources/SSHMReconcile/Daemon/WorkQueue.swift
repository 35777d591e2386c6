import SSHMCore
import Synchronization

/// What the daemon loop does next: the merged wakeups, and the regions still backing off (not to be touched).
package struct Work: Sendable, Equatable {
    package var wakeups: Wakeups
    package var held: Set<RegionID>
}

/// How a pass ended, as the queue needs to know it.
package enum PassResult: Sendable, Equatable {
    /// The pass ran; `retriable` are the regions it worked on that failed in a way worth retrying (they back off),
    /// the others in `ran` succeeded or failed for good (their backoff is forgotten).
    case ran(Set<RegionID>, retriable: Set<RegionID>)
    /// xenstore or the hypervisor could not be reached: nothing ran, everything is retried with backoff.
    case unavailable
}

/// An outage of xenstore (or the hypervisor) as ``WorkQueue/done(_:)`` reports it, for the daemon's log.
package enum OutageChange: Sendable, Equatable {
    case began(retryIn: Duration)
    case ended(after: Duration)
}

/// The daemon's work queue, in the spirit of controller-runtime's: event sources add, the loop takes work, runs a
/// pass and hands the result back. It owns the scheduling: bursts coalesce into one pass; regions that failed
/// back off (``RegionBackoff``: 5 ms → 5 min with jitter, forgotten on success) and come back by themselves;
/// delayed re-adds; an outage of xenstore retries with backoff; domain rescans are a token bucket, because domain
/// events may come from guests (a domain rebooting in a loop). Time comes from an injected ``DaemonClock``.
package final class WorkQueue: Sendable {
    package struct Limits: Sendable {
        /// Domain rescans allowed in a burst, and refilled per second: far above what a toolstack does (building a
        /// domain takes seconds), low enough that a guest rebooting in a loop cannot keep the daemon busy.
        package var rescanBurst = 50
        package var rescansPerSecond = 100.0
        /// Retries while xenstore is unreachable: doubling from `outageBase` up to `outageCap`.
        package var outageBase: Duration = .milliseconds(100)
        package var outageCap: Duration = .seconds(5)

        package init() {}
    }

    private struct Delayed {
        var due: ContinuousClock.Instant
        var update: @Sendable (inout Wakeups) -> Void
    }

    private struct State {
        var pending = Wakeups()
        var delayed: [Delayed] = []
        var backoff: RegionBackoff
        /// When the earliest backed-off region is due again.
        var retryAt: ContinuousClock.Instant?
        var rescanTokens: Double
        var lastRefill: ContinuousClock.Instant
        /// When a rate-limited rescan may run.
        var rescanAt: ContinuousClock.Instant?
        var outage: (since: ContinuousClock.Instant, attempts: Int)?
        var waiter: CheckedContinuation<Void, Never>?
        /// Something was added while no one waited: the next wait returns at once.
        var signalled = false
    }

    private let clock: any DaemonClock
    private let limits: Limits
    private let state: Mutex<State>

    package init(clock: any DaemonClock, limits: Limits = Limits(), backoff: RegionBackoff = RegionBackoff()) {
        self.clock = clock
        self.limits = limits
        state = Mutex(
            State(backoff: backoff, rescanTokens: Double(limits.rescanBurst), lastRefill: clock.now))
    }

    // MARK: Producers

    /// Merges `update` into the pending wakeups.
    package func add(_ update: (inout Wakeups) -> Void) {
        let now = clock.now
        wake {
            if $0.pending.since == nil { $0.pending.since = now }
            update(&$0.pending)
        }
    }

    /// Records a watch event.
    package func add(path: String, token: String) { add { $0.add(path: path, token: token) } }

    /// Merges `update` once `delay` has passed.
    package func add(after delay: Duration, _ update: @escaping @Sendable (inout Wakeups) -> Void) {
        let due = clock.now + delay
        wake { $0.delayed.append(Delayed(due: due, update: update)) }
    }

    // MARK: The consumer

    /// What is due now, if anything; rate-limited domain rescans and backed-off regions wait for their time.
    package func poll() -> Work? {
        let now = clock.now
        return state.withLock { take(&$0, now: now) }
    }

    /// Waits until something is due and returns it.
    package func next() async -> Work {
        while true {
            let now = clock.now
            let (work, deadline) = state.withLock { state in (take(&state, now: now), Self.deadline(state)) }
            if let work { return work }
            await waitForChange(until: deadline)
        }
    }

    /// Takes the pass's result: regions that failed back off, the others are forgotten; an unreachable xenstore is
    /// retried with backoff. Returns how an outage began or ended, if it did.
    @discardableResult
    package func done(_ result: PassResult) -> OutageChange? {
        let now = clock.now
        return wake { state -> OutageChange? in
            switch result {
            case .ran(let ran, let retriable):
                state.backoff.record(ran: ran, retriable: retriable, at: now)
                state.retryAt = state.backoff.nextDue(after: now)
                guard let outage = state.outage else { return nil }
                state.outage = nil
                return .ended(after: now - outage.since)
            case .unavailable:
                let attempts = (state.outage?.attempts ?? 0) + 1
                let began = state.outage == nil
                state.outage = (state.outage?.since ?? now, attempts)
                let delay = min(limits.outageCap, limits.outageBase * (1 << min(attempts - 1, 20)))
                state.delayed.append(Delayed(due: now + delay) { $0.retry = true })
                return began ? .began(retryIn: delay) : nil
            }
        }
    }

    /// Consecutive failures of `id` (for tests and metrics).
    package func failures(of id: RegionID) -> Int { state.withLock { $0.backoff.failures(of: id) } }

    // MARK: Inside the lock

    private func take(_ state: inout State, now: ContinuousClock.Instant) -> Work? {
        let elapsed = now - state.lastRefill
        state.lastRefill = now
        state.rescanTokens = min(
            Double(limits.rescanBurst), state.rescanTokens + elapsed.seconds * limits.rescansPerSecond)
        if state.delayed.contains(where: { $0.due <= now }) {
            if state.pending.since == nil { state.pending.since = now }
            for delayed in state.delayed where delayed.due <= now { delayed.update(&state.pending) }
            state.delayed.removeAll { $0.due <= now }
        }
        if let retryAt = state.retryAt, retryAt <= now {
            state.retryAt = nil
            if state.pending.since == nil { state.pending.since = now }
            state.pending.retry = true
        }
        guard !state.pending.isEmpty else { return nil }
        let wakeups = state.pending
        if wakeups.isDomainEvent, !wakeups.resync, !wakeups.plansEverything, !wakeups.shutdown {
            guard state.rescanTokens >= 1 else {
                state.rescanAt = now + .seconds((1 - state.rescanTokens) / limits.rescansPerSecond)
                return nil
            }
            state.rescanTokens -= 1
        }
        state.rescanAt = nil
        state.pending = Wakeups()
        return Work(wakeups: wakeups, held: state.backoff.held(at: now))
    }

    private static func deadline(_ state: State) -> ContinuousClock.Instant? {
        ([state.retryAt, state.rescanAt].compactMap { $0 } + state.delayed.map(\.due)).min()
    }

    /// Runs `update` under the lock and wakes the consumer.
    private func wake<T>(_ update: (inout State) -> T) -> T {
        let (result, waiter) = state.withLock { state in
            let result = update(&state)
            guard let waiter = state.waiter else {
                state.signalled = true
                return (result, nil as CheckedContinuation<Void, Never>?)
            }
            state.waiter = nil
            return (result, waiter)
        }
        waiter?.resume()
        return result
    }

    /// Returns when something was added, or at `deadline`.
    private func waitForChange(until deadline: ContinuousClock.Instant?) async {
        let timer = deadline.map { deadline in
            Task { [clock, weak self] in
                guard (try? await clock.sleep(until: deadline)) != nil else { return }
                self?.wake { _ in }
            }
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                if state.signalled {
                    state.signalled = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
        timer?.cancel()
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    package var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
