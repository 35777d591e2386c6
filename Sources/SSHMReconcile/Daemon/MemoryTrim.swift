/// When the daemon hands memory back (see ``MemoryFootprint``): at once after a big pass (start-up, a resync, more
/// than ``bigPassActions`` actions), and after small ones once no pass has run for ``quiet``: small passes stay
/// quick (`malloc_trim` walks the heap), and an idle daemon is small.
package struct MemoryTrim: Sendable {
    /// Long enough that a burst of events does not pay for a trim, short enough that an idle daemon is small.
    package static let quiet: Duration = .seconds(2)
    /// A pass with more actions than this leaves enough freed memory behind to hand it back at once.
    package static let bigPassActions = 100

    private let clock: any DaemonClock
    private let release: @Sendable () -> Void
    /// When the last pass whose memory has not been handed back yet ended.
    private var untrimmedSince: ContinuousClock.Instant?
    private var trimNow = false
    private var scheduled = false

    /// - Parameter release: hands the memory back; by default drops cold code pages and trims the heap.
    package init(
        clock: any DaemonClock,
        release: @escaping @Sendable () -> Void = {
            MemoryFootprint.dropColdCode()
            MemoryFootprint.releaseFreeHeap()
        }
    ) {
        self.clock = clock
        self.release = release
    }

    /// Notes a pass that just ended; `big` when it read everything or made many changes.
    package mutating func passEnded(big: Bool) {
        untrimmedSince = clock.now
        trimNow = trimNow || big
    }

    /// Hands memory back if it is time. Returns when to look again, if that must be asked for (once per wait).
    package mutating func check() -> Duration? {
        guard let since = untrimmedSince else { return nil }
        let quiet = clock.now - since
        if trimNow || quiet >= Self.quiet {
            release()
            untrimmedSince = nil
            trimNow = false
            return nil
        }
        guard !scheduled else { return nil }
        scheduled = true
        return Self.quiet - quiet
    }

    /// The time asked for by ``check()`` has come.
    package mutating func due() { scheduled = false }
}
