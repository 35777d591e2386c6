import ArgumentParser
import Logging
import SSHMCore
import SSHMReconcile

/// Which hypervisor adapter to use.
enum HypervisorChoice: String, CaseIterable, ExpressibleByArgument {
    case xenctrl
    case simulated
}

extension MapSpace: ExpressibleByArgument {}
extension RecordDialect: ExpressibleByArgument {}
extension SimulatedHypervisor.Policy: ExpressibleByArgument {}
extension Arch: ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}

/// Options every command that reads the host shares (docs/design.md, "Command line and exit codes").
struct HostOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Directory of manifests (*.yaml, *.yml).", valueName: "dir"))
    var configDir = "/etc/sshm.d"

    @Option(help: "Hypervisor adapter: xenctrl (the real one) or simulated (mappings kept in --state-file).")
    var hypervisor: HypervisorChoice = .xenctrl

    @Option(
        help: ArgumentHelp(
            """
            Holds the lock, the conditions and the simulated state (default /run/sshm-reconcile, or the folder of \
            --state-file).
            """,
            valueName: "dir"))
    var stateDir: String?

    @Option(help: ArgumentHelp("Simulated hypervisor state (default <state-dir>/simulated.json).", valueName: "file"))
    var stateFile: String?

    @Option(
        help: """
            Map space: share (XENMAPSPACE_gmfn_share, needs the series' patched Xen) or foreign (stock Xen: only dom0 \
            can borrow).
            """)
    var mapSpace: MapSpace = .share

    @Option(help: "Spelling of new records: master-slave (the seed's) or owner-borrower (the fork's).")
    var recordNames: RecordDialect = .masterSlave

    @Option(
        help: ArgumentHelp(
            "Attempts at a conflicting xenstore transaction before the region waits for the next pass (1-10000).",
            valueName: "n"))
    var txnAttempts = 16

    @Flag(help: "Prune all managed regions when the config dir declares none (an empty dir prunes nothing by default).")
    var allowEmpty = false

    @Flag(help: "Manage records written by libxl or by hand (no manager field) when a manifest declares their id.")
    var adopt = false

    @Option(help: "Simulated hypervisor policy: permissive, or stock (refuses what stock Xen 4.17 refuses).")
    var simPolicy: SimulatedHypervisor.Policy = .permissive

    @Option(help: "Architecture whose cache policies the manifests must suit; the default is this host's.")
    var arch: Arch = .host

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard txnAttempts >= 1 && txnAttempts <= 10_000 else {
            throw ValidationError("--txn-attempts must be between 1 and 10000, got \(txnAttempts).")
        }
    }

    var resolvedStateDir: String {
        if let stateDir { return stateDir }
        if let stateFile, let slash = stateFile.lastIndex(of: "/") {
            return slash == stateFile.startIndex ? "/" : String(stateFile[..<slash])
        }
        if stateFile != nil { return "." }
        return "/run/sshm-reconcile"
    }

    var resolvedStateFile: String { stateFile ?? resolvedStateDir + "/simulated.json" }

    var settings: ReconcileSettings {
        ReconcileSettings(
            plan: PlanOptions(
                dialect: recordNames, adopt: adopt, allowEmpty: allowEmpty,
                configDirectory: Self.absolute(configDir), mapSpace: mapSpace.rawValue),
            space: mapSpace, retry: RetryPolicy(attempts: txnAttempts))
    }

    /// Manifest sources are recorded as absolute paths, so that `--config-dir .` and the daemon agree.
    static func absolute(_ path: String) -> String {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        if trimmed.hasPrefix("/") { return trimmed }
        let cwd = FileSystem.currentDirectory
        return trimmed == "." ? cwd : cwd + "/" + trimmed
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
