import Logging
import SSHMCore
import Synchronization

/// The daemon's side of the doorbells (docs/guest-view.md, "Doorbell"): it watches exactly the rendezvous `port`
/// nodes the passes keep, and when one changes checks that region's pairs (``DoorbellStep``), at most ten times a
/// second per region (``DoorbellSchedule``). Never inside a record pass's transactions, never a record pass itself.
final class DoorbellKeeper: Sendable {
    private struct State {
        var schedule = DoorbellSchedule()
        /// The watched `port` nodes, by region.
        var watched: [RegionID: Set<String>] = [:]
        /// Each region's pairs as last checked, for the metrics.
        var states: [RegionID: [DomID: DoorbellState]] = [:]
        /// When the queue comes back for the regions waiting their turn: one delayed wakeup at a time, however
        /// many events a guest sends meanwhile.
        var comeBackAt: ContinuousClock.Instant?
    }

    private let store: any XenStore
    private let hypervisor: any Hypervisor
    private let logger: Logger
    private let blocking: BlockingExecutor
    private let clock: any DaemonClock
    private let queue: WorkQueue
    private let state = Mutex(State())
    private let metrics: DaemonMetrics

    init(
        store: any XenStore, hypervisor: any Hypervisor, logger: Logger, blocking: BlockingExecutor,
        clock: any DaemonClock, queue: WorkQueue, metrics: DaemonMetrics
    ) {
        self.metrics = metrics
        self.store = store
        self.hypervisor = hypervisor
        self.logger = logger
        self.blocking = blocking
        self.clock = clock
        self.queue = queue
    }

    /// After a pass over `scope` (`nil`: every region): watch the `port` nodes of every pair it found, and no
    /// others among those regions.
    func follow(_ doorbells: [RegionID: DoorbellStep.RegionDoorbells], scope: Set<RegionID>?) async {
        let (add, remove, counts) = state.withLock { state -> ([String], [String], [String: Int]) in
            let regions = scope ?? Set(state.watched.keys).union(state.states.keys)
            var add: [String] = []
            var remove: [String] = []
            for id in regions.union(doorbells.keys) {
                let wanted = Set(doorbells[id].map { Self.ports(id, $0) } ?? [])
                let had = state.watched[id] ?? []
                add += wanted.subtracting(had)
                remove += had.subtracting(wanted)
                state.watched[id] = wanted.isEmpty ? nil : wanted
                state.states[id] = doorbells[id]?.pairs
                if wanted.isEmpty { state.schedule.forget([id]) }
            }
            let counts = Dictionary(grouping: state.states.values.flatMap(\.values), by: \.key).mapValues(\.count)
            return (add, remove, counts)
        }
        let resets = doorbells.values.flatMap(\.pairs.values).filter(\.isBroken).count
        metrics.recordDoorbells(counts, resets: resets)
        guard !add.isEmpty || !remove.isEmpty else { return }
        let store = self.store
        do {
            try await blocking.run {
                for path in remove { try store.unwatch(XenStorePath(path), token: ObservationCache.Token.doorbell) }
                for path in add { try store.watch(XenStorePath(path), token: ObservationCache.Token.doorbell) }
            }
        } catch {
            // The next pass over these regions tries again; meanwhile the periodic resync checks them.
            state.withLock { state in for id in doorbells.keys { state.watched[id] = nil } }
            logger.warning("could not watch the doorbells' nodes: \(error)")
        }
    }

    /// Notes a watch event on a rendezvous node, on the watch pump's task: cheap, and it wakes the loop at most once
    /// per turn (``DoorbellSchedule``), not once per event, however fast a guest writes.
    func note(path: String) {
        guard let id = DoorbellSchedule.region(of: path) else { return }
        let now = clock.now
        let delay = state.withLock { state -> Duration? in
            let wait = state.schedule.note(id, now: now)
            guard state.comeBackAt.map({ now + wait < $0 }) ?? true else { return nil }
            state.comeBackAt = now + wait
            return wait
        }
        guard let delay else { return }
        if delay <= .zero {
            queue.add { $0.doorbells = true }
        } else {
            queue.add(after: delay) { $0.doorbells = true }
        }
    }

    /// Checks the doorbells of the regions whose turn has come, and asks the queue to come back for the others.
    func check(desired: DesiredState, domains: DomainTable?) async {
        let now = clock.now
        let (due, comeBack) = state.withLock { state -> (Set<RegionID>, Duration?) in
            state.comeBackAt = nil
            let (due, next) = state.schedule.changed([], now: now)
            if let next { state.comeBackAt = now + next }
            return (due, next)
        }
        if let comeBack { queue.add(after: comeBack) { $0.doorbells = true } }
        guard !due.isEmpty, let domains else { return }
        let (store, hypervisor, logger) = (self.store, self.hypervisor, self.logger)
        do {
            let doorbells = try await blocking.run {
                try DoorbellStep(store: store, eventChannels: hypervisor, logger: logger)
                    .run(due, desired: desired, domains: domains, repair: true)
            }
            await follow(doorbells, scope: due)
        } catch {
            logger.info("doorbells not checked this time: \(error)")
        }
    }

    /// The two `port` nodes of each pair.
    private static func ports(_ id: RegionID, _ doorbells: DoorbellStep.RegionDoorbells) -> [String] {
        doorbells.pairs.keys.flatMap { borrower in
            [
                DoorbellTree.port(id, of: doorbells.owner, peer: borrower),
                DoorbellTree.port(id, of: borrower, peer: doorbells.owner),
            ]
        }
    }
}
