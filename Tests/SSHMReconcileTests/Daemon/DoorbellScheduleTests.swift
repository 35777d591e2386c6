import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import Testing

@Suite("Doorbell schedule")
struct DoorbellScheduleTests {
    static let start = ContinuousClock.now
    static let telemetry = Build.id("telemetry")
    static let frames = Build.id("frames")

    @Test func findsTheRegionOfARendezvousNodeAndOfNothingElse() {
        #expect(DoorbellSchedule.region(of: "/local/domain/5/static_shm/telemetry/doorbell/7/port") == Self.telemetry)
        #expect(
            DoorbellSchedule.region(of: "/local/domain/5/static_shm/telemetry/doorbell/7/port/x/y") == Self.telemetry)
        #expect(DoorbellSchedule.region(of: "/local/domain/5/static_shm/telemetry/doorbell") == Self.telemetry)
        #expect(DoorbellSchedule.region(of: "/local/domain/5/static_shm/telemetry/state") == nil)
        #expect(DoorbellSchedule.region(of: "/local/domain/5/static_shm/telemetry") == nil)
        #expect(DoorbellSchedule.region(of: "/libxl/static_shm/telemetry/doorbell/7") == nil)
        #expect(DoorbellSchedule.region(of: "local/domain/5/static_shm/telemetry/doorbell") == nil)
        #expect(DoorbellSchedule.region(of: "/local/domain/5/static_shm/bad id!/doorbell") == nil)
    }

    @Test func aRegionIsCheckedAtMostTenTimesASecondHoweverOftenItsNodesChange() {
        var schedule = DoorbellSchedule()
        var checks = 0
        var asked: Set<ContinuousClock.Instant> = []
        // 10,000 writes over one second, one every 100 µs; the queue comes back when told to.
        var comeBack: ContinuousClock.Instant?
        for write in 0..<10_000 {
            let now = Self.start + .microseconds(100 * write)
            var changed: Set<RegionID> = [Self.telemetry]
            if let due = comeBack, now >= due {
                comeBack = nil
                changed = []
            }
            let (due, next) = schedule.changed(changed, now: now)
            checks += due.count
            if let next {
                comeBack = comeBack ?? now + next
                asked.insert(now + next)
            }
        }
        #expect(checks == 10)
        #expect(!asked.isEmpty)
    }

    @Test func aWaitingRegionIsDueWhenItsTurnComesEvenWithoutAnotherEvent() {
        var schedule = DoorbellSchedule()
        #expect(schedule.changed([Self.telemetry], now: Self.start).due == [Self.telemetry])
        let second = schedule.changed([Self.telemetry, Self.frames], now: Self.start + .milliseconds(30))
        #expect(second.due == [Self.frames])
        #expect(second.next == .milliseconds(70))
        #expect(schedule.changed([], now: Self.start + .milliseconds(60)).due.isEmpty)
        #expect(schedule.changed([], now: Self.start + .milliseconds(100)).due == [Self.telemetry])
        #expect(schedule.changed([], now: Self.start + .milliseconds(300)).due.isEmpty)
    }

    @Test func aNotedChangeSaysHowLongUntilItsRegionsTurn() {
        var schedule = DoorbellSchedule()
        #expect(schedule.note(Self.telemetry, now: Self.start) == .zero)
        #expect(schedule.changed([], now: Self.start).due == [Self.telemetry])
        #expect(schedule.note(Self.telemetry, now: Self.start + .milliseconds(40)) == .milliseconds(60))
        #expect(schedule.note(Self.frames, now: Self.start + .milliseconds(40)) == .zero)
        #expect(schedule.changed([], now: Self.start + .milliseconds(40)).due == [Self.frames])
        #expect(schedule.changed([], now: Self.start + .milliseconds(100)).due == [Self.telemetry])
    }

    @Test func aForgottenRegionIsNeitherWaitingNorLimited() {
        var schedule = DoorbellSchedule()
        _ = schedule.changed([Self.telemetry], now: Self.start)
        _ = schedule.changed([Self.telemetry], now: Self.start + .milliseconds(1))
        schedule.forget([Self.telemetry])
        #expect(schedule.changed([], now: Self.start + .milliseconds(200)).due.isEmpty)
        #expect(schedule.changed([Self.telemetry], now: Self.start + .milliseconds(201)).due == [Self.telemetry])
    }
}
