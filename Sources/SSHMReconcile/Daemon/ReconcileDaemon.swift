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
    /// The work queue's rate limits.
    package var limits = WorkQueue.Limits()
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
///
/// The loop takes work from the ``WorkQueue`` (which owns the scheduling), runs a ``DaemonPass`` and hands the
/// result back; the ``ConditionsWriter`` keeps the conditions file, ``MemoryTrim`` hands memory back, the
/// ``ConfigWatchSupervisor`` keeps inotify running, the ``ConfigLoader`` reads the config directory off the loop (passes
/// go on with the state loaded before until it is done).
package final class ReconcileDaemon: Service {
    private let store: any XenStore
    private let settings: DaemonSettings
    private let logger: Logger
    private let notifier: SystemdNotifier
    private let clock: any DaemonClock
    private let queue: WorkQueue
    private let stopping = StopFlag()
    private let metrics = DaemonMetrics()
    private let watcher: ConfigWatchSupervisor
    private let passes: DaemonPass
    private let loader: ConfigLoader
    private let doorbells: DoorbellKeeper

    package init(
        store: any XenStore, hypervisor: any Hypervisor, settings: DaemonSettings, logger: Logger,
        blocking: BlockingExecutor, notifier: SystemdNotifier = SystemdNotifier(),
        clock: any DaemonClock = SystemClock()
    ) {
        self.store = store
        self.settings = settings
        self.logger = logger
        self.notifier = notifier
        self.clock = clock
        queue = WorkQueue(clock: clock, limits: settings.limits)
        watcher = ConfigWatchSupervisor(directory: settings.configDirectory, queue: queue, logger: logger)
        loader = ConfigLoader(load: settings.loadDesired) { [queue] in queue.add { $0.loaded = true } }
        doorbells = DoorbellKeeper(
            store: store, hypervisor: hypervisor, logger: logger, blocking: blocking, clock: clock, queue: queue,
            metrics: metrics)
        passes = DaemonPass(
            store: store, hypervisor: hypervisor, settings: settings.reconcile, logger: logger, blocking: blocking,
            stopping: { [stopping] in stopping.isSet })
    }

    package func run() async throws {
        try await registerWatches()
        watcher.start()
        defer { watcher.stop() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.pumpWatchEvents() }
            group.addTask { await self.pumpSignals() }
            group.addTask { await self.resyncPeriodically() }
            await withGracefulShutdownHandler {
                await self.loop()
            } onGracefulShutdown: {
                self.stopping.set()
                self.queue.add { $0.shutdown = true }
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
        let (store, all) = (self.store, watches)
        try await passes.blocking.run { for (path, token) in all { try store.watch(path, token: token) } }
    }

    private func pumpWatchEvents() async {
        for await event in store.watchEvents {
            guard event.token != ObservationCache.Token.doorbell else { doorbells.note(path: event.path); continue }
            queue.add(path: event.path, token: event.token)
        }
    }

    private func pumpSignals() async {
        for await _ in await UnixSignalsSequence(trapping: .sighup) {
            logger.notice("SIGHUP: reloading \(settings.configDirectory)")
            queue.add { $0.reload = true }
        }
    }

    private func resyncPeriodically() async {
        while (try? await clock.sleep(until: clock.now + settings.resync)) != nil { queue.add { $0.resync = true } }
    }

    // MARK: The loop

    private func loop() async {
        var writer = ConditionsWriter(
            store: ConditionStore(directory: settings.stateDirectory), clock: clock, logger: logger)
        var trim = MemoryTrim(clock: clock)
        var cache = ObservationCache()
        var desired = settings.loadDesired()
        var ready = false
        queue.add { $0.resync = true }
        while true {
            let work = await queue.next()
            let wake = work.wakeups
            if wake.shutdown { break }
            if wake.restartWatchers { watcher.start() }
            if wake.trim { trim.due() }
            if wake.config || wake.reload { loader.request() }
            if wake.loaded, let loaded = loader.take() {
                desired = loaded
                cache.markDeclarationsChanged()
            }
            if wake.needsPass {
                cache.absorb(wake)
                await pass(work, desired: desired, cache: &cache, writer: &writer, trim: &trim)
                if !ready {
                    ready = true
                    notifier.notify("READY=1")
                    logger.notice("watching xenstore and \(settings.configDirectory)")
                }
            }
            if wake.doorbells { await doorbells.check(desired: desired, domains: cache.observation?.domains) }
            if let delay = writer.flush() { queue.add(after: delay) { $0.flush = true } }
            if let delay = trim.check() { queue.add(after: delay) { $0.trim = true } }
        }
        writer.finish()
    }

    /// One pass and its bookkeeping: the queue's backoff, conditions, transitions, metrics.
    private func pass(
        _ work: Work, desired: DesiredState, cache: inout ObservationCache, writer: inout ConditionsWriter,
        trim: inout MemoryTrim
    ) async {
        let start = clock.now
        // The pass owns the cache until it returns it; a failed pass leaves an empty one, which reads everything.
        var handed = ObservationCache()
        swap(&handed, &cache)
        do {
            let outcome = try await passes.run(
                cache: consume handed, desired: desired, previous: writer.conditions,
                planEverything: work.wakeups.plansEverything, held: work.held)
            let report = outcome.report
            cache = outcome.cache
            trim.passEnded(big: outcome.fullRead || report.plan.actions.count > MemoryTrim.bigPassActions)
            logger.debug(
                "pass done",
                metadata: [
                    "read": "\(cache.lastRefresh)", "actions": "\(report.plan.actions.count)",
                    "failed": "\(report.execution.failures.count)", "reading": "\(outcome.reading)",
                    "total": "\(clock.now - start)", "waited": "\(work.wakeups.since.map { start - $0 } ?? .zero)",
                ])
            if case .ended(let after) = queue.done(PassResult(report.execution)) {
                logger.notice("xenstore is reachable again", metadata: ["after": "\(after)"])
            }
            await doorbells.follow(report.doorbells, scope: report.scope)
            TransitionLog.log(from: writer.conditions, to: report.conditions, within: report.scope, logger: logger)
            let changed = writer.update(report.conditions, within: report.scope)
            // A full read (the first pass among them) sets the per-condition gauges even when nothing changed.
            metrics.record(
                report, duration: clock.now - start, conditions: changed || outcome.fullRead ? writer.counts : nil)
        } catch {
            metrics.recordFailedPass()
            if case .began = queue.done(.unavailable) { logger.error("pass failed, retrying with backoff: \(error)") }
        }
        settings.afterPass()
    }
}
