/// Why the daemon should look again: what the event sources reported since the last pass, merged, so that a burst of
/// events becomes one pass.
package struct Wakeups: Sendable, Equatable {
    /// Past this many distinct paths a batch is treated as "everything changed".
    package static let pathLimit = 4096

    /// Paths xenstore watches reported, by watch token.
    package var paths: [String: Set<String>] = [:]
    /// More paths arrived than are worth tracking one by one: re-read everything.
    package var overflow = false
    package var domains = false
    /// The config directory changed, or SIGHUP asked to read it again: a load starts (``ConfigLoader``), off the
    /// loop, and the pass waits for `loaded`.
    package var config = false
    package var reload = false
    /// A load of the config directory finished: the pass plans every region against it.
    package var loaded = false
    package var resync = false
    /// Backed-off regions (or xenstore itself, after an outage) are due again.
    package var retry = false
    /// Time to write the conditions file (its writes are spaced out).
    package var flush = false
    /// Time to see whether the daemon has been quiet long enough to hand memory back.
    package var trim = false
    /// Time to start a watcher that failed again.
    package var restartWatchers = false
    /// Regions whose doorbells waited for their turn (``DoorbellSchedule``) may be due.
    package var doorbells = false
    package var shutdown = false
    /// When the first of these wakeups was posted (for the daemon's debug log: how long an event waited).
    package var since: ContinuousClock.Instant?

    package init() {}

    package var isEmpty: Bool { self == Wakeups() || self == Wakeups(since: since) }

    /// Whether these call for a pass, not only for housekeeping (a write, a trim, a restart, a load of the config).
    package var needsPass: Bool {
        var triggers = self
        triggers.config = false
        triggers.reload = false
        triggers.flush = false
        triggers.trim = false
        triggers.restartWatchers = false
        triggers.doorbells = false
        triggers.since = nil
        return triggers != Wakeups()
    }

    /// Whether a domain event is among them: the rescans a guest can cause, which are rate-limited.
    package var isDomainEvent: Bool {
        domains || !(paths[ObservationCache.Token.domains] ?? []).isEmpty
            || !(paths[ObservationCache.Token.localDomain] ?? []).isEmpty
    }

    /// Whether the pass must plan every region (the input changed, or backed-off regions are due).
    package var plansEverything: Bool { config || reload || loaded || retry }

    private init(since: ContinuousClock.Instant?) { self.since = since }

    /// Records a watch event, turning a batch that grew past ``pathLimit`` into an overflow.
    package mutating func add(path: String, token: String) {
        // Nodes a guest writes (its doorbells') are never a reason for a record pass, and never count towards
        // ``pathLimit``: the doorbells' own watch (``DoorbellKeeper``) goes past the queue, whose batches they
        // would otherwise fill.
        if token == ObservationCache.Token.doorbell { return }
        if token == ObservationCache.Token.localDomain, DoorbellSchedule.region(of: path) != nil { return }
        guard !overflow else { return }
        paths[token, default: []].insert(path)
        if paths.values.reduce(0, { $0 + $1.count }) > Self.pathLimit {
            paths = [:]
            overflow = true
        }
    }
}
