import SSHMCore
import SSHMReconcile
import Testing

@Suite struct WakeupsTests {
    /// The daemon checks its config dir off the loop: the change itself starts a load, and the pass waits for it.
    @Test func aConfigChangeCallsForALoadAndItsResultForAPassThatPlansEverything() {
        var changed = Wakeups()
        changed.config = true
        changed.reload = true
        #expect(!changed.needsPass)
        var loaded = Wakeups()
        loaded.loaded = true
        #expect(loaded.needsPass)
        #expect(loaded.plansEverything)
    }
}

@Suite("Wakeups from doorbells")
struct DoorbellWakeupsTests {
    @Test func aGuestWritingBelowItsDoorbellCallsForNoPassAndFillsNoBatch() {
        var wakeups = Wakeups()
        for index in 0..<10_000 {
            wakeups.add(
                path: "/local/domain/5/static_shm/telemetry/doorbell/7/port/child\(index)",
                token: ObservationCache.Token.doorbell)
            wakeups.add(
                path: "/local/domain/5/static_shm/telemetry/doorbell/7/port/child\(index)",
                token: ObservationCache.Token.localDomain)
        }
        #expect(wakeups.paths.isEmpty)
        #expect(!wakeups.overflow)
        #expect(!wakeups.needsPass)
        wakeups.add(path: "/local/domain/5/static_shm/telemetry/state", token: ObservationCache.Token.localDomain)
        #expect(wakeups.needsPass)
    }
}
