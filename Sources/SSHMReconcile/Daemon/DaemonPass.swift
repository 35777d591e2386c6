import Logging
import SSHMCore
import Synchronization

/// One pass of the daemon over its cache, on the blocking executor: brings the ``ObservationCache`` up to date,
/// then plans and executes what its changes can affect (or everything) with the ``Reconciler``.
struct DaemonPass: Sendable {
    /// What a pass returns to the loop.
    struct Outcome: Sendable {
        var report: PassReport
        var cache: ObservationCache
        /// Time spent reading xenstore.
        var reading: Duration
        /// The cache read everything (the first pass, a resync, a reconnect).
        var fullRead: Bool
    }

    let store: any XenStore
    let hypervisor: any Hypervisor
    let settings: ReconcileSettings
    let logger: Logger
    let blocking: BlockingExecutor
    let stopping: @Sendable () -> Bool

    /// - Parameters:
    ///   - planEverything: plan every region, not only those the observed changes can affect.
    ///   - held: regions backing off: not touched, their previous condition kept.
    ///   - cache: handed over, and returned in the outcome; the caller keeps no reference to it, so the pass
    ///     updates it in place (a shared one would be copied whole, every record and view, on each pass).
    /// - Throws: when xenstore or the hypervisor cannot be read (nothing ran).
    func run(
        cache: consuming ObservationCache, desired: DesiredState, previous: [RegionID: RegionCondition],
        planEverything: Bool, held: Set<RegionID>
    ) async throws -> Outcome {
        let (store, hypervisor, settings, logger, stopping) = (store, hypervisor, settings, logger, stopping)
        let handover = Mutex<ObservationCache?>(consume cache)
        return try await blocking.run {
            var cache = handover.withLock { $0.take() } ?? ObservationCache()
            let start = ContinuousClock.now
            let (observation, changed) = try cache.refresh(
                desired: desired, store: store, hypervisor: hypervisor, logger: logger,
                scanAll: settings.scanAllRecords)
            let reading = ContinuousClock.now - start
            let report = try Reconciler(store: store, hypervisor: hypervisor, settings: settings, logger: logger)
                .reconcile(
                    desired, observation: observation, previous: previous, scope: planEverything ? nil : changed,
                    hold: held, shouldStop: stopping)
            cache.markChanged(report.execution.ran)
            return Outcome(report: report, cache: cache, reading: reading, fullRead: changed == nil)
        }
    }
}

extension PassResult {
    /// What the queue needs of a pass, from the executor's outcome of each region that ran: a region with a failed
    /// action and no terminal failure backs off (it is `Degraded`); a terminal failure waits for its input to change
    /// (`Failed`), and a region without failures is done.
    init(_ execution: ExecutionReport) {
        let outcomes = execution.outcomes
        let retriable = outcomes.filter { _, outcome in
            !outcome.failures.isEmpty && !outcome.failures.values.contains(where: \.isTerminal)
        }
        self = .ran(Set(outcomes.keys), retriable: Set(retriable.keys))
    }
}

/// Set once, when the daemon is asked to stop: the executor lets the current region finish and starts no other.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    var isSet: Bool { flag.load(ordering: .relaxed) }

    func set() { flag.store(true, ordering: .relaxed) }
}

/// The daemon's log of condition changes: one line per region whose condition changed, at the condition's level.
enum TransitionLog {
    /// - Parameter scope: the pass's scope, whose conditions `new` holds (a region of it missing from `new` has
    ///   none any more; see ``PassReport/conditions``); `nil`: `new` holds every region's.
    static func log(
        from old: [RegionID: RegionCondition], to new: [RegionID: RegionCondition], within scope: Set<RegionID>?,
        logger: Logger
    ) {
        let candidates =
            scope.map { scope in scope.compactMap { id in new[id].map { (key: id, value: $0) } } }
            ?? Array(new)
        let changed = candidates.filter {
            old[$0.key]?.kind != $0.value.kind || old[$0.key]?.reason != $0.value.reason
        }
        for (id, condition) in changed.sorted(by: { $0.key < $1.key }) {
            let metadata: Logger.Metadata = [
                "region": "\(id)", "condition": "\(condition.kind.rawValue)", "reason": "\(condition.reason)",
            ]
            let message: Logger.Message = "\(condition.kind.rawValue): \(condition.message)"
            switch condition.kind {
            case .ready: logger.info(message, metadata: metadata)
            case .pending: logger.notice(message, metadata: metadata)
            case .degraded, .frozen: logger.warning(message, metadata: metadata)
            case .failed: logger.error(message, metadata: metadata)
            }
        }
        for id in (scope ?? Set(old.keys)).filter({ old[$0] != nil && new[$0] == nil }).sorted() {
            logger.info("removed", metadata: ["region": "\(id)"])
        }
    }
}
