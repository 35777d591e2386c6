import Dispatch
import Logging
import SSHMCore
import ServiceLifecycle
import Synchronization
import UnixSignals

/// What the daemon needs besides its ports.
package struct DaemonSettings: Sendable {
    package var reconcile: ReconcileSettings
    package var configDirectory: String
    /// Reads and validates the config dir (diagnostics are the loader's to print).
    package var loadDesired: @Sendable () -> DesiredState
    package var stateDirectory: String
    /// Full re-read of everything, even without events.
    package var resync: Duration = .seconds(300)
    /// Also watch `/local/domain`: only in simulation, where "domains" are plain xenstore writes. On a real host that
    /// tree is guest-writable, and no guest may keep the daemon busy.
    package var watchLocalDomain: Bool
    /// Domain rescans allowed in a burst, and refilled per second: far above what a toolstack does (building a
    /// domain takes seconds), low enough that a guest rebooting in a loop cannot keep the daemon busy.
    package var rescanBurst = 50
    package var rescansPerSecond = 100.0
    /// Called after every pass (for the metrics text file).
    package var afterPass: @Sendable () -> Void = {}

    package init(
        reconcile: ReconcileSettings, configDirectory: String, loadDesired: @escaping @Sendable () -> DesiredState,
        stateDirectory: String, watchLocalDomain: Bool
    ) {
        self.reconcile = reconcile
        self.configDirectory = configDirectory
        self.loadDesired = loadDesired
        self.stateDirectory = stateDirectory
        self.watchLocalDomain = watchLocalDomain
    }
}

/// `sshm-reconcile daemon`: reconciles on every xenstore watch, config change, SIGHUP and periodic resync, until
/// SIGTERM/SIGINT, which lets the current region finish and never unmaps anything.
package final class ReconcileDaemon: Service {
    private let store: any XenStore
    private let hypervisor: any Hypervisor
    private let settings: DaemonSettings
    private let logger: Logger
    private let blocking: BlockingExecutor
    private let notifier: SystemdNotifier
    private let queue = WakeQueue()
    private let stopping = Atomic<Bool>(false)
    private let metrics = DaemonMetrics()
    private let configWatcher = Mutex<ConfigWatcher?>(nil)
    /// Writes the conditions file, one write at a time, in order.
    private let conditionWriter = DispatchQueue(label: "sshm-reconcile.conditions")

    package init(
        store: any XenStore, hypervisor: any Hypervisor, settings: DaemonSettings, logger: Logger,
        blocking: BlockingExecutor, notifier: SystemdNotifier = SystemdNotifier()
    ) {
        self.store = store
        self.hypervisor = hypervisor
        self.settings = settings
        self.logger = logger
        self.blocking = blocking
        self.notifier = notifier
    }

    package func run() async throws {
        try await registerWatches()
        let watcher = startConfigWatcher()
        configWatcher.withLock { $0 = watcher }
        defer { configWatcher.withLock { $0?.stop() } }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.pumpWatchEvents() }
            group.addTask { await self.pumpSignals() }
            group.addTask { await self.tick(every: self.settings.resync) { $0.resync = true } }
            await withGracefulShutdownHandler {
                await self.loop()
            } onGracefulShutdown: {
                self.stopping.store(true, ordering: .relaxed)
                self.queue.post { $0.shutdown = true }
            }
            group.cancelAll()
        }
        notifier.notify("STOPPING=1")
        logger.notice("stopped")
    }

    // MARK: Event sources

    private func registerWatches() async throws {
        var watches: [(XenStorePath, String)] = [
            ("@introduceDomain", ObservationCache.Token.domains), ("@releaseDomain", ObservationCache.Token.domains),
            (XenStorePath(RecordPaths.root), ObservationCache.Token.records),
            (XenStorePath(RecordPaths.toolRoot), ObservationCache.Token.tool),
        ]
        if settings.watchLocalDomain { watches.append(("/local/domain", ObservationCache.Token.localDomain)) }
        let store = self.store
        let all = watches
        try await blocking.run { for (path, token) in all { try store.watch(path, token: token) } }
    }

    private func pumpWatchEvents() async {
        for await event in store.watchEvents {
            queue.post(path: event.path, token: event.token)
        }
    }

    private func pumpSignals() async {
        for await _ in await UnixSignalsSequence(trapping: .sighup) {
            logger.notice("SIGHUP: reloading \(settings.configDirectory)")
            queue.post { $0.reload = true }
        }
    }

    private func tick(every interval: Duration, _ update: @escaping @Sendable (inout Wakeups) -> Void) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            queue.post(update)
        }
    }

    /// Starts inotify on the config dir; a dir that cannot be watched now is tried again at each resync.
    private func startConfigWatcher() -> ConfigWatcher? {
        do {
            return try ConfigWatcher(directory: settings.configDirectory) { [queue] in queue.post { $0.config = true } }
        } catch {
            logger.warning("config changes are noticed only at resync and on SIGHUP: \(error)")
            return nil
        }
    }

    // MARK: The loop

    private struct LoopState {
        var cache = ObservationCache()
        var desired: DesiredState
        var previous: [RegionID: RegionCondition]
        var backoff = RegionBackoff()
        var rescanTokens: Double
        var lastRefill = ContinuousClock.now
        var unavailable: (since: ContinuousClock.Instant, attempt: Int)?
        /// The conditions with the time each took its kind, as the conditions file holds them (once saved).
        var entries: [RegionID: ConditionStore.Entry]
        /// `entries` changed since the file was last written.
        var unsaved = false
        var lastSave: ContinuousClock.Instant?
        var flushTask: Task<Void, Never>?
        /// When the last pass whose memory has not been handed back yet ended.
        var untrimmedSince: ContinuousClock.Instant?
        /// That pass was big: hand its memory back at once.
        var trimNow = false
        var trimTask: Task<Void, Never>?
        var retryTask: Task<Void, Never>?
        /// The wake-up of a rate-limited domain rescan.
        var rescanTask: Task<Void, Never>?
    }

    private func loop() async {
        let conditions = ConditionStore(directory: settings.stateDirectory)
        let stored = conditions.load()
        var state = LoopState(
            desired: settings.loadDesired(), previous: stored.mapValues(\.condition),
            rescanTokens: Double(settings.rescanBurst), entries: stored)
        var wake = Wakeups()
        wake.resync = true
        var ready = false
        while !wake.shutdown {
            var triggers = wake
            triggers.flush = false
            triggers.trim = false
            if wake.trim { state.trimTask = nil }
            if triggers.isEmpty {
                flush(&state, to: conditions)
                trimWhenQuiet(&state)
                wake = await queue.next()
                continue
            }
            if wake.config || wake.reload { state.desired = settings.loadDesired() }
            if wake.resync, configWatcher.withLock({ $0 == nil }) {
                let watcher = startConfigWatcher()
                configWatcher.withLock { $0 = watcher }
            }
            state.cache.absorb(wake)
            if rateLimited(wake, &state) {
                wake = await queue.next()
                continue
            }
            await pass(&state, planEverything: wake.config || wake.reload || wake.retry, since: wake.since)
            flush(&state, to: conditions)
            trimWhenQuiet(&state)
            if !ready {
                ready = true
                notifier.notify("READY=1")
                logger.notice("watching xenstore and \(settings.configDirectory)")
            }
            wake = await queue.next()
        }
        state.retryTask?.cancel()
        state.rescanTask?.cancel()
        state.flushTask?.cancel()
        state.trimTask?.cancel()
        state.lastSave = nil
        flush(&state, to: conditions)
        conditionWriter.sync {}
    }

    /// How long the daemon must have been quiet before small passes' memory is handed back (see ``MemoryFootprint``):
    /// long enough that a burst of events does not pay for it, short enough that an idle daemon is small.
    static let quietBeforeTrim: Duration = .seconds(2)
    /// A pass with more actions than this leaves enough freed memory behind to hand it back at once.
    static let bigPassActions = 100

    /// Hands memory back after a big pass (start-up, a resync, more than ``bigPassActions`` actions), and after small
    /// ones once no pass has run for ``quietBeforeTrim``: small passes should stay quick (`malloc_trim` walks the
    /// heap). Until then, checks again when the time is up.
    private func trimWhenQuiet(_ state: inout LoopState) {
        guard let since = state.untrimmedSince else { return }
        let quiet = ContinuousClock.now - since
        if state.trimNow || quiet >= Self.quietBeforeTrim {
            MemoryFootprint.dropColdCode()
            MemoryFootprint.releaseFreeHeap()
            state.untrimmedSince = nil
            state.trimNow = false
        } else if state.trimTask == nil {
            state.trimTask = wakeUp(after: Self.quietBeforeTrim - quiet) { $0.trim = true }
        }
    }

    /// Writes the conditions file when they changed, at most once a second (it holds every region: writing it on
    /// every event would cost more than the event itself); a change within the second is written when it is up.
    private func flush(_ state: inout LoopState, to conditions: ConditionStore) {
        guard state.unsaved else { return }
        let now = ContinuousClock.now
        if let last = state.lastSave, now - last < .seconds(1) {
            if state.flushTask == nil { state.flushTask = wakeUp(after: last + .seconds(1) - now) { $0.flush = true } }
            return
        }
        state.flushTask = nil
        state.unsaved = false
        state.lastSave = now
        // Encoding every region's condition takes milliseconds: off the loop, on a queue that keeps the order.
        let entries = state.entries
        let logger = self.logger
        conditionWriter.async {
            do {
                try conditions.save(entries)
            } catch {
                logger.error("cannot store conditions in \(conditions.path): \(error)")
            }
        }
    }

    /// Domain events may come from guests (a domain rebooting in a loop): rescans are a token bucket.
    private func rateLimited(_ wake: Wakeups, _ state: inout LoopState) -> Bool {
        let domainEvent =
            wake.domains || !(wake.paths[ObservationCache.Token.domains] ?? []).isEmpty
            || !(wake.paths[ObservationCache.Token.localDomain] ?? []).isEmpty
        let now = ContinuousClock.now
        let elapsed = now - state.lastRefill
        state.lastRefill = now
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        state.rescanTokens = min(Double(settings.rescanBurst), state.rescanTokens + seconds * settings.rescansPerSecond)
        guard domainEvent, !wake.resync, !wake.config, !wake.reload else { return false }
        guard state.rescanTokens < 1 else {
            state.rescanTokens -= 1
            return false
        }
        let wait = Duration.seconds((1 - state.rescanTokens) / settings.rescansPerSecond)
        logger.debug("domain rescans rate-limited", metadata: ["wait": "\(wait)"])
        state.rescanTask?.cancel()
        state.rescanTask = wakeUp(after: wait) { $0.domains = true }
        return true
    }

    /// Retries after `delay` (backoff of a region, or of xenstore itself), replacing any retry scheduled before.
    private func schedule(after delay: Duration, _ state: inout LoopState) {
        state.retryTask?.cancel()
        state.retryTask = wakeUp(after: delay) { $0.retry = true }
    }

    private func wakeUp(after delay: Duration, _ update: @escaping @Sendable (inout Wakeups) -> Void) -> Task<
        Void, Never
    > {
        Task { [queue] in
            do { try await Task.sleep(for: delay) } catch { return }
            queue.post(update)
        }
    }

    /// One pass over the cache, with its bookkeeping: conditions, transitions, backoff, metrics.
    /// - Parameter planEverything: plan every region, not only those the observed changes can affect (after a config
    ///   change, and when backed-off regions become due).
    /// - Parameter since: when the first event behind this pass arrived.
    private func pass(_ state: inout LoopState, planEverything: Bool, since: ContinuousClock.Instant? = nil) async {
        let start = ContinuousClock.now
        let hold = state.backoff.held(at: start)
        let desired = state.desired
        let previous = state.previous
        let cache = state.cache
        let store = self.store
        let hypervisor = self.hypervisor
        let settings = self.settings
        let logger = self.logger
        do {
            let (report, refreshed, reading, fullRead) = try await blocking.run {
                () throws -> (PassReport, ObservationCache, Duration, Bool) in
                var cache = cache
                let start = ContinuousClock.now
                let (observation, changed) = try cache.refresh(
                    desired: desired, store: store, hypervisor: hypervisor, logger: logger,
                    scanAll: settings.reconcile.scanAllRecords)
                let reading = ContinuousClock.now - start
                let reconciler = Reconciler(
                    store: store, hypervisor: hypervisor, settings: settings.reconcile, logger: logger)
                let report = try reconciler.reconcile(
                    desired, observation: observation, previous: previous, scope: planEverything ? nil : changed,
                    hold: hold, shouldStop: { [self] in self.stopping.load(ordering: .relaxed) })
                return (report, cache, reading, changed == nil)
            }
            state.cache = refreshed
            state.cache.markChanged(report.execution.ran)
            state.untrimmedSince = ContinuousClock.now
            state.trimNow = state.trimNow || fullRead || report.plan.actions.count > Self.bigPassActions
            logger.debug(
                "pass done",
                metadata: [
                    "read": "\(refreshed.lastRefresh)", "actions": "\(report.plan.actions.count)",
                    "failed": "\(report.execution.failures.count)", "reading": "\(reading)",
                    "total": "\(ContinuousClock.now - start)", "waited": "\(since.map { start - $0 } ?? .zero)",
                ])
            if let outage = state.unavailable {
                logger.notice(
                    "xenstore is reachable again", metadata: ["after": "\(ContinuousClock.now - outage.since)"])
                state.unavailable = nil
            }
            logTransitions(from: state.previous, to: report.conditions)
            let changed = report.conditions != state.previous
            if changed {
                state.entries = ConditionStore.entries(report.conditions, previous: state.entries)
                state.unsaved = true
            }
            state.previous = report.conditions
            state.backoff.record(report.conditions, ran: report.execution.ran, at: ContinuousClock.now)
            if let due = state.backoff.nextDue { schedule(after: due - ContinuousClock.now, &state) }
            // A full read (the first pass among them) recounts the per-condition gauges even when nothing changed.
            metrics.record(report, duration: ContinuousClock.now - start, conditionsChanged: changed || fullRead)
        } catch {
            metrics.recordFailedPass()
            state.cache.invalidate()
            let attempt = (state.unavailable?.attempt ?? 0) + 1
            if state.unavailable == nil {
                logger.error("pass failed, retrying with backoff: \(error)")
                state.unavailable = (ContinuousClock.now, attempt)
            } else {
                state.unavailable?.attempt = attempt
            }
            let delay = min(Duration.seconds(5), Duration.milliseconds(100) * (1 << min(attempt - 1, 10)))
            schedule(after: delay, &state)
        }
        settings.afterPass()
    }

    private func logTransitions(from old: [RegionID: RegionCondition], to new: [RegionID: RegionCondition]) {
        let changed = new.filter { old[$0.key]?.kind != $0.value.kind || old[$0.key]?.reason != $0.value.reason }
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
        for id in Set(old.keys).subtracting(new.keys).sorted() {
            logger.info("removed", metadata: ["region": "\(id)"])
        }
    }
}
