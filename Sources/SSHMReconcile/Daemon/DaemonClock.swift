/// The daemon's time: what its queue, conditions writer and memory trim schedule by. Injected so that their tests run
/// in virtual time (`VirtualClock` in the test support), never by sleeping.
package protocol DaemonClock: Sendable {
    var now: ContinuousClock.Instant { get }
    /// Returns at `deadline`; throws `CancellationError` when the task is cancelled first.
    func sleep(until deadline: ContinuousClock.Instant) async throws
}

/// The real clock: `ContinuousClock` (monotonic, and counting while the machine is suspended).
package struct SystemClock: DaemonClock {
    package init() {}

    package var now: ContinuousClock.Instant { .now }

    package func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await ContinuousClock().sleep(until: deadline, tolerance: nil)
    }
}
