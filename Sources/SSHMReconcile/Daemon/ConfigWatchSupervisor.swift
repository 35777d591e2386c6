import Logging
import Metrics
import Synchronization

/// Keeps a ``ConfigWatcher`` on the config dir running. A watcher that cannot start or stops working is logged once
/// (until one works again), counted in `sshm_reconcile_watcher_restarts_total`, and started again with backoff
/// through the ``WorkQueue``; a watcher that comes back reloads the config, since changes may have been missed.
package final class ConfigWatchSupervisor: Sendable {
    private struct State {
        var watcher: ConfigWatcher?
        /// Failures since a watcher last worked.
        var failures = 0
        var restarts = 0
        var stopped = false
    }

    private let directory: String
    private let queue: WorkQueue
    private let logger: Logger
    private let backoff: RegionBackoff
    private let state = Mutex(State())
    private let restartCounter = Counter(
        label: "sshm_reconcile_watcher_restarts_total", dimensions: [("watcher", "config")])

    /// - Parameter backoff: the delays between attempts (only its `delay(afterFailures:)` is used).
    package init(
        directory: String, queue: WorkQueue, logger: Logger,
        backoff: RegionBackoff = RegionBackoff(base: .milliseconds(500), cap: .seconds(60))
    ) {
        self.directory = directory
        self.queue = queue
        self.logger = logger
        self.backoff = backoff
    }

    /// The running watcher's inotify descriptor (tests break it).
    package var descriptor: Int32? { state.withLock { $0.watcher?.descriptor } }

    /// Whether a watcher runs now.
    package var isWatching: Bool { state.withLock { $0.watcher != nil } }

    /// Restarts asked for so far (the metric counts them too).
    package var restarts: Int { state.withLock { $0.restarts } }

    /// Starts the watcher, if none runs; on failure, tries again later. Called at start and on
    /// ``Wakeups/restartWatchers``.
    package func start() {
        let attempt = state.withLock { $0.stopped || $0.watcher != nil ? nil : $0.failures }
        guard let attempt else { return }
        do {
            let watcher = try ConfigWatcher(
                directory: directory, onChange: { [queue] in queue.add { $0.config = true } },
                onFailure: { [weak self] error in self?.failed(error) })
            let kept = state.withLock { state -> Bool in
                guard !state.stopped else { return false }
                state.watcher = watcher
                return true
            }
            guard kept else { return watcher.stop() }
            if attempt > 0 {
                logger.notice("watching \(directory) again")
                queue.add { $0.config = true }
            }
            state.withLock { $0.failures = 0 }
        } catch {
            failed(error)
        }
    }

    /// Stops the watcher for good.
    package func stop() {
        let watcher = state.withLock { state in
            state.stopped = true
            return state.watcher.take()
        }
        watcher?.stop()
    }

    private func failed(_ error: ConfigWatcher.WatchError) {
        let (failures, dead) = state.withLock { state in
            state.failures += 1
            state.restarts += 1
            return (state.failures, state.watcher.take())
        }
        // The failed watcher's thread has ended or is ending; stop() joins it and closes its descriptors. Not on
        // that thread itself, which cannot join itself.
        if let dead { Task { dead.stop() } }
        restartCounter.increment()
        let delay = backoff.delay(afterFailures: failures)
        if failures == 1 {
            logger.warning(
                "config changes are noticed only at resync and on SIGHUP until its watch works again: \(error)")
        } else {
            logger.debug("config watch still failing", metadata: ["error": "\(error)", "retry": "\(delay)"])
        }
        queue.add(after: delay) { $0.restartWatchers = true }
    }
}
