import ArgumentParser
import Logging
import SSHMCore
import SSHMReconcile
import SSHMXen

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The opened ports of this host: xenstore, the hypervisor, and the thread their blocking calls run on.
struct Host {
    let store: LibXenStore
    let hypervisor: any Hypervisor
    let blocking: BlockingExecutor
    let logger: Logger

    /// Opens xenstore (`XENSTORED_PATH` selects the socket, as for every libxenstore tool) and the hypervisor.
    /// - Parameter wait: how long to keep trying while xenstored does not answer (the daemon at boot).
    /// - Throws: `ExitCode(69)` after printing why, when either is unavailable.
    static func open(_ options: HostOptions, logger: Logger, wait: Duration = .zero) async throws -> Host {
        let blocking = BlockingExecutor()
        do {
            return try await blocking.run {
                let store = try openStore(logger: logger, wait: wait)
                let hypervisor: any Hypervisor
                switch options.hypervisor {
                case .simulated:
                    let faults =
                        ProcessInfo.processInfo.environment[SimulatorFaults.environmentKey]
                        .flatMap(SimulatorFaults.init(parsing:)) ?? SimulatorFaults()
                    hypervisor = SimulatedHypervisor(
                        store: store, stateFile: options.resolvedStateFile, policy: options.simPolicy, faults: faults)
                case .xenctrl:
                    hypervisor = try openXenCtrl(logger: logger)
                }
                return Host(store: store, hypervisor: hypervisor, blocking: blocking, logger: logger)
            }
        } catch {
            Output.error("\(error)")
            throw ExitCode(ExitStatus.unavailable)
        }
    }

    /// Opens xenstore, retrying with backoff for up to `wait` while the daemon is not there yet.
    private static func openStore(logger: Logger, wait: Duration) throws -> LibXenStore {
        let deadline = ContinuousClock.now + wait
        var delay = Duration.milliseconds(50)
        var waiting = false
        while true {
            do {
                let store = try LibXenStore.open(logger: logger)
                if waiting { logger.notice("xenstored answers") }
                return store
            } catch let error as XenStoreError
                where error.code == .unavailable && ContinuousClock.now + delay < deadline
            {
                if !waiting { logger.notice("waiting up to \(wait) for xenstored: \(error)") }
                waiting = true
                RetryPolicy.threadSleep(delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }

    /// Runs blocking work on the host's thread.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await blocking.run(body)
    }
}
