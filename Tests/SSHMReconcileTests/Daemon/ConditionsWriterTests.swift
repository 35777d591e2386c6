import SSHMCore
import SSHMTestSupport
import Synchronization
import Testing

@testable import SSHMReconcile

final class ConditionsWriterTests: Sendable {
    let clock = VirtualClock()
    let saved = Mutex<[[RegionID: ConditionStore.Entry]]>([])
    static let ready = [Build.id("telemetry"): RegionCondition(.ready, reason: ConditionReason.converged, message: "")]
    static let pending = [
        Build.id("telemetry"): RegionCondition(.pending, reason: ConditionReason.waitingForOwner, message: "")
    ]

    func writer() -> ConditionsWriter {
        ConditionsWriter(stored: [:], clock: clock) { [self] entries in self.saved.withLock { $0.append(entries) } }
    }

    @Test func writesAChangeAtOnceAndNothingWhenNothingChanged() {
        var writer = writer()
        let changed = writer.update(Self.ready)
        let wait = writer.flush()
        let changedAgain = writer.update(Self.ready)
        clock.advance(by: .seconds(5))
        let waitAgain = writer.flush()
        writer.finish()
        #expect(changed && !changedAgain)
        #expect(wait == nil && waitAgain == nil)
        #expect(saved.withLock { $0.map { $0.mapValues(\.condition) } } == [Self.ready])
    }

    @Test func aChangeWithinTheSecondWaitsForItAndAsksOnce() {
        var writer = writer()
        writer.update(Self.ready)
        _ = writer.flush()
        clock.advance(by: .milliseconds(400))
        writer.update(Self.pending)
        let first = writer.flush()
        let second = writer.flush()
        #expect(first == .milliseconds(600))
        #expect(second == nil)
        #expect(saved.withLock { $0.count } <= 1)
        clock.advance(by: .milliseconds(600))
        let due = writer.flush()
        writer.finish()
        #expect(due == nil)
        #expect(saved.withLock { $0.map { $0.mapValues(\.condition) } } == [Self.ready, Self.pending])
    }

    @Test func keepsTheTimeAConditionTookItsKind() throws {
        var writer = writer()
        writer.update(Self.ready)
        _ = writer.flush()
        clock.advance(by: .seconds(2))
        var sameKind = Self.ready
        sameKind[Build.id("telemetry")]?.message = "all 1 borrowers mapped"
        writer.update(sameKind)
        writer.finish()
        let writes = saved.withLock { $0 }
        try #require(writes.count == 2)
        #expect(writes[0][Build.id("telemetry")]?.since == writes[1][Build.id("telemetry")]?.since)
    }

    /// A daemon's pass reports the conditions of its scope only: the others stay, and the counts by kind follow.
    @Test func aScopedUpdateChangesTheScopeOnlyAndKeepsTheCounts() {
        let video = Build.id("video")
        var writer = writer()
        var both = Self.ready
        both[video] = RegionCondition(.ready, reason: ConditionReason.converged, message: "")
        writer.update(both)
        let pending = writer.update(Self.pending, within: [Build.id("telemetry")])
        #expect(pending)
        #expect(writer.conditions[video]?.kind == .ready && writer.conditions[Build.id("telemetry")]?.kind == .pending)
        #expect(writer.counts[.ready] == 1 && writer.counts[.pending] == 1)
        let unchanged = writer.update(Self.pending, within: [Build.id("telemetry")])
        #expect(!unchanged)
        let removed = writer.update([:], within: [video])
        #expect(removed)
        #expect(writer.conditions == Self.pending)
        #expect(writer.counts[.ready] == 0 && writer.counts[.pending] == 1)
        writer.finish()
        #expect(saved.withLock { $0.last?.mapValues(\.condition) } == Self.pending)
    }

    @Test func finishWritesWhatTheSpacingHeldBack() {
        var writer = writer()
        writer.update(Self.ready)
        _ = writer.flush()
        writer.update(Self.pending)
        let wait = writer.flush()
        writer.finish()
        #expect(wait != nil)
        #expect(saved.withLock { $0.count } == 2)
    }
}
