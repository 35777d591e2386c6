import ArgumentParser
import Foundation
import Logging
import SSHMCore
import SSHMReconcile
import SSHMXen

/// The opened ports of this host: xenstore, the hypervisor, and the thread their blocking calls run on.
struct Host {
    let store: LibXenStore
    let hypervisor: any Hypervisor
    let blocking: BlockingExecutor
    let logger: Logger

    /// Opens xenstore (`XENSTORED_PATH` selects the socket, as for every libxenstore tool) and the hypervisor.
    /// - Throws: `ExitCode(69)` after printing why, when either is unavailable.
    static func open(_ options: HostOptions, logger: Logger) async throws -> Host {
        let blocking = BlockingExecutor()
        do {
            return try await blocking.run {
                let store = try LibXenStore.open(logger: logger)
                let hypervisor: any Hypervisor
                switch options.hypervisor {
                case .simulated:
                    let faults = ProcessInfo.processInfo.environment[SimulatorFaults.environmentKey]
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

    /// Runs blocking work on the host's thread.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await blocking.run(body)
    }
}
