import SSHMCore

/// When the daemon checks a region's doorbells (docs/guest-view.md, "Doorbell"): their nodes are written by guests,
/// so a guest writing in a loop must not keep the daemon busy. Events for a region coalesce, and a region is checked
/// at most once per ``interval``; the rest wait for their turn.
package struct DoorbellSchedule: Sendable {
    /// Ten checks a second per region at most.
    package static let interval: Duration = .milliseconds(100)

    private var last: [RegionID: ContinuousClock.Instant] = [:]
    private var waiting: Set<RegionID> = []

    package init() {}

    /// The region a rendezvous node belongs to: `/local/domain/<domid>/static_shm/<id>/doorbell[/…]`.
    package static func region(of path: String) -> RegionID? {
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        guard components.count >= 7, components[0].isEmpty, components[1] == "local", components[2] == "domain",
            components[4] == "static_shm", components[6] == GuestView.doorbellName
        else { return nil }
        return RegionID(String(components[5]))
    }

    /// Notes that `id` changed; returns how long until its turn (zero: now).
    package mutating func note(_ id: RegionID, now: ContinuousClock.Instant) -> Duration {
        waiting.insert(id)
        return max(.zero, last[id].map { $0 + Self.interval - now } ?? .zero)
    }

    /// Notes that `ids` changed. Returns those to check now, and how long until the next of the others is due.
    package mutating func changed(_ ids: Set<RegionID>, now: ContinuousClock.Instant) -> (
        due: Set<RegionID>, next: Duration?
    ) {
        waiting.formUnion(ids)
        var due: Set<RegionID> = []
        var next: Duration?
        for id in waiting {
            let wait = last[id].map { $0 + Self.interval - now } ?? .zero
            if wait <= .zero {
                due.insert(id)
            } else {
                next = min(next ?? wait, wait)
            }
        }
        waiting.subtract(due)
        for id in due { last[id] = now }
        return (due, next)
    }

    /// Forgets regions that have no doorbell any more.
    package mutating func forget(_ ids: some Sequence<RegionID>) {
        for id in ids {
            last[id] = nil
            waiting.remove(id)
        }
    }
}
