import SSHMTestSupport
import Synchronization
import Testing

@testable import SSHMReconcile

final class MemoryTrimTests: Sendable {
    let clock = VirtualClock()
    let trims = Atomic<Int>(0)

    func trim() -> MemoryTrim { MemoryTrim(clock: clock) { [self] in self.trims.add(1, ordering: .relaxed) } }

    var count: Int { trims.load(ordering: .relaxed) }

    @Test func aBigPassHandsMemoryBackAtOnce() {
        var trim = trim()
        trim.passEnded(big: true)
        let wait = trim.check()
        let waitAgain = trim.check()
        #expect(wait == nil && waitAgain == nil)
        #expect(count == 1)
    }

    @Test func smallPassesWaitForTwoQuietSeconds() {
        var trim = trim()
        trim.passEnded(big: false)
        let first = trim.check()
        clock.advance(by: .seconds(1))
        trim.passEnded(big: false)
        let whileScheduled = trim.check()
        clock.advance(by: .seconds(1))
        trim.due()
        let second = trim.check()
        #expect(first == .seconds(2) && whileScheduled == nil && second == .seconds(1))
        #expect(count == 0)
        clock.advance(by: .seconds(1))
        trim.due()
        let last = trim.check()
        #expect(last == nil)
        #expect(count == 1)
    }

    @Test func nothingToHandBackWithoutAPass() {
        var trim = trim()
        let wait = trim.check()
        #expect(wait == nil && count == 0)
    }
}
