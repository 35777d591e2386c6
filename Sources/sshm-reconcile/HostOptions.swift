import ArgumentParser
import Logging
import SSHMCore
import SSHMReconcile

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Which hypervisor adapter to use.
enum HypervisorChoice: String, CaseIterable, ExpressibleByArgument {
    case xenctrl
    case simulated
}

extension MapSpaceSetting: ExpressibleByArgument {}
extension RecordDialect: ExpressibleByArgument {}
extension SimulatedHypervisor.Policy: ExpressibleByArgument {}
extension Arch: ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}

/// Options every command that reads the host shares: `plan`, `apply`, `status`, `daemon` (docs/design.md, "Command
/// line and exit codes").
struct HostOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Directory of manifests (*.yaml, *.yml).", valueName: "dir"), completion: .directory)
    var configDir = ConfigDirectory.defaultPath

    @Option(help: "Hypervisor adapter: xenctrl (the real one) or simulated (for tests and demos).")
    var hypervisor: HypervisorChoice = .xenctrl

    @Option(
        help: ArgumentHelp(
            "Holds the lock, the region conditions and the simulated hypervisor's state (default: \(Self.defaultStateDir)).",
            valueName: "dir"),
        completion: .directory)
    var stateDir: String?

    /// Tests only: the simulated hypervisor's mappings elsewhere than in the state dir.
    @Option(help: .hidden, completion: .file())
    var stateFile: String?

    @Option(
        help: """
            Map space: auto (foreign for a dom0 borrower, share for a domU borrower), foreign (XENMAPSPACE_gmfn_foreign, \
            stock Xen: only dom0 can borrow) or share (XENMAPSPACE_gmfn_share: needs Xen with the static shared memory \
            series' patch 630047a5d5, not in any Xen release).
            """)
    var mapSpace: MapSpaceSetting = .auto

    /// Tests and demos only: what the simulated hypervisor refuses.
    @Option(help: .hidden)
    var simPolicy: SimulatedHypervisor.Policy = .permissive

    @OptionGroup var logging: LoggingOptions

    static let defaultStateDir = "/run/sshm-reconcile"

    var resolvedStateDir: String {
        if let stateDir { return stateDir }
        if let stateFile, let slash = stateFile.lastIndex(of: "/") {
            return slash == stateFile.startIndex ? "/" : String(stateFile[..<slash])
        }
        if stateFile != nil { return "." }
        return Self.defaultStateDir
    }

    var resolvedStateFile: String { stateFile ?? resolvedStateDir + "/simulated.json" }

    /// For the commands that use the simulator without `apply`, which would have created the state dir with its lock.
    func createSimulatorStateDir() throws {
        guard hypervisor == .simulated else { return }
        try FileManager.default.createDirectory(
            atPath: resolvedStateDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
    }

    /// The settings of a pass: `changes` for the commands that plan changes, `writes` for those that make them.
    func settings(_ changes: ChangeOptions? = nil, writes: WriteOptions? = nil) -> ReconcileSettings {
        ReconcileSettings(
            plan: PlanOptions(
                dialect: changes?.recordNames ?? .masterSlave, adopt: changes?.adopt ?? false,
                allowEmpty: changes?.allowEmpty ?? false, configDirectory: Self.absolute(configDir),
                mapSpace: mapSpace.rawValue),
            space: mapSpace, retry: RetryPolicy(attempts: writes?.txnAttempts ?? RetryPolicy().attempts))
    }

    /// Manifest sources are recorded as absolute paths, so that `--config-dir .` and the daemon agree.
    static func absolute(_ path: String) -> String {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        if trimmed.hasPrefix("/") { return trimmed }
        let cwd = FileSystem.currentDirectory
        return trimmed == "." ? cwd : cwd + "/" + trimmed
    }
}

/// What decides the changes a pass plans: `plan`, `apply` and `daemon` take these, `status` does not.
struct ChangeOptions: ParsableArguments {
    @Flag(help: "Prune all managed regions when the config dir declares none (an empty dir prunes nothing by default).")
    var allowEmpty = false

    @Flag(help: "Manage records written by libxl or by hand (no manager field) when a manifest declares their id.")
    var adopt = false

    @Option(help: "Spelling of new records: master-slave (the series' libxl) or owner-borrower (the fork's).")
    var recordNames: RecordDialect = .masterSlave
}

/// How the commands that write (`apply`, `daemon`) retry.
struct WriteOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Attempts at a conflicting xenstore transaction before the region waits for the next pass (1-10000).",
            valueName: "n"))
    var txnAttempts = RetryPolicy().attempts

    func validate() throws {
        guard txnAttempts >= 1 && txnAttempts <= 10_000 else {
            throw ValidationError("--txn-attempts must be between 1 and 10000, got \(txnAttempts).")
        }
    }
}

/// `--log-format`, `-v`, `-q`.
struct LoggingOptions: ParsableArguments {
    @Option(help: "Log format on stderr: text or json.")
    var logFormat: LogFormat = .text

    @Flag(name: .shortAndLong, help: "Log more: -v info (every action; the daemon's default), -vv debug.")
    var verbose: Int

    @Flag(name: .shortAndLong, help: "Log and print only errors (no summary).")
    var quiet = false

    func logger(label: String = "sshm-reconcile", defaultLevel: Logger.Level = .warning) -> Logger {
        let level: Logger.Level =
            quiet ? .error : verbose >= 2 ? .debug : verbose == 1 ? .info : defaultLevel
        return Logger(label: label) { label in StderrLogHandler(label: label, level: level, format: logFormat) }
    }
}
