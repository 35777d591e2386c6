import SSHMCore
import SSHMTestSupport
import Testing

@testable import SSHMReconcile

/// The work queue in virtual time: the clock moves only when a test advances it.
struct WorkQueueTests {
    let clock = VirtualClock()
    static let telemetry = Build.id("telemetry")
    static let video = Build.id("video")

    /// A queue whose jitter always picks the full nominal delay, so that delays are exact.
    func queue(_ adjust: (inout WorkQueue.Limits) -> Void = { _ in }) -> WorkQueue {
        var limits = WorkQueue.Limits()
        adjust(&limits)
        return WorkQueue(clock: clock, limits: limits, backoff: RegionBackoff(random: { 0.999_999_999 }))
    }

    @Test func aBurstOfAThousandEventsIsOnePass() throws {
        let queue = queue()
        for n in 0..<1000 { queue.add(path: "/libxl/static_shm/r\(n)/state", token: ObservationCache.Token.records) }
        let work = try #require(queue.poll())
        #expect(work.wakeups.paths[ObservationCache.Token.records]?.count == 1000)
        #expect(work.wakeups.needsPass)
        #expect(queue.poll() == nil)
    }

    @Test func moreDistinctPathsThanTheLimitBecomeOneFullRead() throws {
        let queue = queue()
        for n in 0...Wakeups.pathLimit {
            queue.add(path: "/libxl/static_shm/r\(n)", token: ObservationCache.Token.records)
        }
        let work = try #require(queue.poll())
        #expect(work.wakeups.overflow)
        #expect(work.wakeups.paths.isEmpty)
    }

    @Test func aFailingRegionBacksOffLongerEachTimeAndIsForgottenOnSuccess() throws {
        let queue = queue()
        var delays: [Duration] = []
        for _ in 0..<4 {
            queue.done(.ran([Self.telemetry, Self.video], retriable: [Self.telemetry]))
            #expect(queue.poll() == nil)
            var waited = Duration.zero
            while queue.poll() == nil {
                clock.advance(by: .milliseconds(1))
                waited += .milliseconds(1)
            }
            delays.append(waited)
        }
        #expect(delays == [.milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(40)])
        #expect(queue.failures(of: Self.telemetry) == 4)
        #expect(queue.failures(of: Self.video) == 0)
        queue.done(.ran([Self.telemetry], retriable: []))
        #expect(queue.failures(of: Self.telemetry) == 0)
        clock.advance(by: .seconds(600))
        #expect(queue.poll() == nil)
    }

    @Test func aBackedOffRegionIsHeldFromPassesUntilItIsDue() throws {
        let queue = queue()
        queue.done(.ran([Self.telemetry], retriable: [Self.telemetry]))
        queue.add { $0.config = true }
        #expect(try #require(queue.poll()).held == [Self.telemetry])
        clock.advance(by: .milliseconds(5))
        let retry = try #require(queue.poll())
        #expect(retry.wakeups.retry)
        #expect(retry.wakeups.plansEverything)
        #expect(retry.held.isEmpty)
    }

    @Test func backoffJitterNeverHalvesTheDelayAndGrowthStopsAtFiveMinutes() {
        let low = RegionBackoff(random: { 0 })
        #expect(low.delay(afterFailures: 1) == .microseconds(2500))
        #expect(low.delay(afterFailures: 2) == .milliseconds(5))
        #expect(low.delay(afterFailures: 40) == .seconds(150))
        let high = RegionBackoff(random: { 0.999_999_999 })
        #expect(high.delay(afterFailures: 40) > .seconds(299))
        #expect(high.delay(afterFailures: 40) <= .seconds(300))
    }

    @Test func aDelayedAddComesDueAtItsTime() throws {
        let queue = queue()
        queue.add(after: .seconds(3)) { $0.flush = true }
        #expect(queue.poll() == nil)
        clock.advance(by: .milliseconds(2999))
        #expect(queue.poll() == nil)
        clock.advance(by: .milliseconds(1))
        let work = try #require(queue.poll())
        #expect(work.wakeups.flush)
        #expect(!work.wakeups.needsPass)
        #expect(queue.poll() == nil)
    }

    @Test func domainRescansBeyondTheBurstWaitForATokenAndThenRunTogether() throws {
        let queue = queue {
            $0.rescanBurst = 2
            $0.rescansPerSecond = 10
        }
        for _ in 0..<2 {
            queue.add { $0.domains = true }
            #expect(queue.poll() != nil)
        }
        queue.add { $0.domains = true }
        queue.add(path: "@introduceDomain", token: ObservationCache.Token.domains)
        #expect(queue.poll() == nil)
        clock.advance(by: .milliseconds(99))
        #expect(queue.poll() == nil)
        clock.advance(by: .milliseconds(1))
        let work = try #require(queue.poll())
        #expect(work.wakeups.domains)
        #expect(work.wakeups.paths[ObservationCache.Token.domains] == ["@introduceDomain"])
        #expect(queue.poll() == nil)
    }

    @Test func aConfigChangeIsNeverRateLimited() {
        let queue = queue { $0.rescanBurst = 1 }
        queue.add { $0.domains = true }
        #expect(queue.poll() != nil)
        queue.add {
            $0.domains = true
            $0.config = true
        }
        #expect(queue.poll() != nil)
    }

    @Test func anOutageIsRetriedWithDoublingDelaysAndEndsOnTheFirstPassThatRuns() throws {
        let queue = queue()
        #expect(queue.done(.unavailable) == .began(retryIn: .milliseconds(100)))
        clock.advance(by: .milliseconds(99))
        #expect(queue.poll() == nil)
        clock.advance(by: .milliseconds(1))
        #expect(try #require(queue.poll()).wakeups.retry)
        #expect(queue.done(.unavailable) == nil)
        clock.advance(by: .milliseconds(199))
        #expect(queue.poll() == nil)
        clock.advance(by: .milliseconds(1))
        #expect(queue.poll() != nil)
        #expect(queue.done(.ran([], retriable: [])) == .ended(after: .milliseconds(300)))
    }

    @Test func nextWaitsInVirtualTimeForADelayedAdd() async {
        let queue = queue()
        queue.add(after: .seconds(60)) { $0.trim = true }
        async let work = queue.next()
        while clock.sleepers == 0 { await Task.yield() }
        clock.advance(by: .seconds(60))
        #expect(await work.wakeups.trim)
    }

    @Test func nextReturnsWhenAnEventArrives() async {
        let queue = queue()
        async let work = queue.next()
        await Task.yield()
        queue.add { $0.reload = true }
        #expect(await work.wakeups.reload)
    }

    @Test func aPassHandsTheQueueItsRegionsOutcomes() {
        var execution = ExecutionReport()
        let (done, degraded, failed) = (Build.id("done"), Build.id("degraded"), Build.id("failed"))
        execution.outcomes[done] = RegionOutcome()
        execution.outcomes[degraded] = RegionOutcome()
        execution.outcomes[degraded]?.failures[1] = ActionFailure(
            reason: .xenstoreError, message: "", isTerminal: false)
        execution.outcomes[failed] = RegionOutcome()
        execution.outcomes[failed]?.failures = [
            0: ActionFailure(reason: .xenstoreError, message: "", isTerminal: false),
            1: ActionFailure(reason: .conflict, message: "", isTerminal: true),
        ]
        #expect(PassResult(execution) == .ran([done, degraded, failed], retriable: [degraded]))
    }
}
