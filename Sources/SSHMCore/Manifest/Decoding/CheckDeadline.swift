#if canImport(Glibc)
    import Glibc
#endif

/// When checking one file must stop: a file that takes longer freezes, so that nobody who can write to the config
/// directory can stall the host with it.
package struct CheckDeadline: Sendable {
    /// Asked before each region and each borrower; cheap enough for that.
    package var isPast: @Sendable () -> Bool

    package init(isPast: @escaping @Sendable () -> Bool) { self.isPast = isPast }

    package static let never = CheckDeadline { false }

    /// After `limit` of the calling thread's CPU time. CPU time rather than the clock: a valid file must not freeze
    /// because the host is busy, and the work a file costs is what its author controls.
    package static func after(_ limit: Duration) -> CheckDeadline {
        let end = threadTime() + limit
        return CheckDeadline { threadTime() >= end }
    }

    /// The calling thread's CPU time; zero where the kernel cannot say (the deadline then never passes).
    private static func threadTime() -> Duration {
        var now = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) == 0 else { return .zero }
        return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
    }
}
