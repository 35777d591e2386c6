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
