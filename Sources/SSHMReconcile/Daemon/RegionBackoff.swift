import SSHMCore

/// Per-region exponential backoff with jitter after a retriable failure (5 ms → 5 min by default), reset when the
/// region succeeds: one flapping region is retried less and less often, the others are not slowed down.
package struct RegionBackoff: Sendable {
    package var base: Duration
    package var cap: Duration
    /// A number in `0..<1`; replaced in tests.
    package var random: @Sendable () -> Double

    private var entries: [RegionID: (failures: Int, due: ContinuousClock.Instant)] = [:]

    package init(
        base: Duration = .milliseconds(5), cap: Duration = .seconds(300),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.base = base
        self.cap = cap
        self.random = random
    }

    /// Regions whose retry is not due yet.
    package func held(at now: ContinuousClock.Instant) -> Set<RegionID> {
        Set(entries.filter { $0.value.due > now }.keys)
    }

    /// The earliest time after `now` at which a held region becomes due, if any.
    package func nextDue(after now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        entries.values.map(\.due).filter { $0 > now }.min()
    }

    /// Records how the regions that ran ended: a retriable failure pushes the next attempt out, anything else
    /// forgets the region.
    package mutating func record(ran: Set<RegionID>, retriable: Set<RegionID>, at now: ContinuousClock.Instant) {
        for id in ran.union(retriable) {
            guard retriable.contains(id) else {
                entries[id] = nil
                continue
            }
            let failures = (entries[id]?.failures ?? 0) + 1
            entries[id] = (failures, now + delay(afterFailures: failures))
        }
    }

    /// `min(cap, base · 2^(failures-1))`, scaled by a jitter factor in `[0.5, 1)` so that regions failing together
    /// spread out without ever retrying sooner than half the nominal delay.
    package func delay(afterFailures failures: Int) -> Duration {
        let nominal = min(cap, base * (1 << min(failures - 1, 40)))
        return nominal * (0.5 + random() / 2)
    }

    package func failures(of id: RegionID) -> Int { entries[id]?.failures ?? 0 }
}
