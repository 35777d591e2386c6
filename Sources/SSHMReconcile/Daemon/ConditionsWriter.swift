import Dispatch
import Logging
import SSHMCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Keeps `<state-dir>/conditions.json` for the daemon: every region's condition with the time it took its kind.
///
/// The file holds every region, so writing it on every event would cost more than the event: it is written when
/// the conditions changed, at most once per ``spacing`` (a change within it is written when it is up), and off the
/// daemon's loop, on a queue of its own that keeps the order of the writes.
package struct ConditionsWriter: Sendable {
    package static let spacing: Duration = .seconds(1)

    /// The conditions as the last pass left them (loaded from the file at start).
    package private(set) var conditions: [RegionID: RegionCondition]
    /// How many regions have each kind of condition, kept with ``conditions`` (the daemon's gauges).
    package private(set) var counts: [ConditionKind: Int]
    private var entries: [RegionID: ConditionStore.Entry]
    private var unsaved = false
    private var lastSave: ContinuousClock.Instant?
    /// A later write is already asked for.
    private var scheduled = false
    private let clock: any DaemonClock
    private let save: @Sendable ([RegionID: ConditionStore.Entry]) -> Void
    private let queue: DispatchQueue

    /// - Parameter save: writes the entries (off the caller's thread); ``init(store:clock:logger:)`` writes the file.
    package init(
        stored: [RegionID: ConditionStore.Entry], clock: any DaemonClock,
        save: @escaping @Sendable ([RegionID: ConditionStore.Entry]) -> Void
    ) {
        entries = stored
        conditions = stored.mapValues(\.condition)
        counts = Self.count(conditions)
        self.clock = clock
        self.save = save
        queue = DispatchQueue(label: "sshm-reconcile.conditions")
    }

    /// Starts from what `store` holds and writes there, logging a write that fails.
    package init(store: ConditionStore, clock: any DaemonClock, logger: Logger) {
        self.init(stored: store.load(), clock: clock) { entries in
            do {
                try store.save(entries)
            } catch {
                logger.error("cannot store conditions in \(store.path): \(error)")
            }
        }
    }

    /// Takes a pass's conditions. Returns whether any changed.
    /// - Parameter scope: the regions the pass planned, whose conditions `new` holds (a region of the scope
    ///   missing from it has none any more); the others keep theirs. `nil`: `new` holds every region's. Only the
    ///   scope is compared, so a daemon's pass over one region does not go through every region's condition.
    @discardableResult
    package mutating func update(_ new: [RegionID: RegionCondition], within scope: Set<RegionID>? = nil) -> Bool {
        guard let scope else {
            guard new != conditions else { return false }
            entries = ConditionStore.entries(new, previous: entries)
            conditions = new
            counts = Self.count(new)
            unsaved = true
            return true
        }
        let now = Date()
        var changed = false
        for id in scope.union(new.keys) where new[id] != conditions[id] {
            changed = true
            if let old = conditions[id] { counts[old.kind, default: 0] -= 1 }
            if let condition = new[id] {
                counts[condition.kind, default: 0] += 1
                entries[id] = ConditionStore.entry(condition, previous: entries[id], now: now)
            } else {
                entries[id] = nil
            }
            conditions[id] = new[id]
        }
        if changed { unsaved = true }
        return changed
    }

    private static func count(_ conditions: [RegionID: RegionCondition]) -> [ConditionKind: Int] {
        conditions.values.reduce(into: [:]) { counts, condition in counts[condition.kind, default: 0] += 1 }
    }

    /// Writes the conditions if they changed and the last write is ``spacing`` old. Returns when to call again if a
    /// write must wait (once per wait: `nil` while an earlier answer still stands).
    package mutating func flush() -> Duration? {
        guard unsaved else { return nil }
        let now = clock.now
        if let lastSave, now - lastSave < Self.spacing {
            guard !scheduled else { return nil }
            scheduled = true
            return lastSave + Self.spacing - now
        }
        scheduled = false
        unsaved = false
        lastSave = now
        let entries = self.entries
        queue.async { [save] in save(entries) }
        return nil
    }

    /// Writes what is unsaved now, whatever the spacing, and waits for every write to end (at shutdown).
    package mutating func finish() {
        lastSave = nil
        _ = flush()
        queue.sync {}
    }
}
