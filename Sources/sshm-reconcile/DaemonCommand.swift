import ArgumentParser
import Logging
import Metrics
import Prometheus
import SSHMCore
import SSHMReconcile
import SSHMXen
import ServiceLifecycle
import UnixSignals

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Keep the host matching the manifests, woken by xenstore watches and config changes.",
        discussion: """
            Reconciles at start, then whenever a domain is introduced or released, someone edits \
            /libxl/static_shm or /tool/sshm-reconcile, a file in the config dir changes, on SIGHUP, and every \
            --resync. SIGTERM or SIGINT finishes the region in progress and exits 0; nothing is unmapped on exit. \
            Holds <state-dir>/lock while it runs (exit 75 if another apply or daemon holds it).
            """)

    @OptionGroup var options: HostOptions
    @OptionGroup var changes: ChangeOptions
    @OptionGroup var writes: WriteOptions

    @Option(
        help: ArgumentHelp(
            "Full re-read of everything at this interval (systemd.time(7): 30s, 5min, 1h; default: \(Self.resyncDefault)).",
            valueName: "duration"),
        transform: DurationArgument.parse)
    var resync = Self.resyncDefault

    @Option(
        help: ArgumentHelp(
            "Write Prometheus metrics here after every pass (node_exporter's textfile collector).", valueName: "path"),
        completion: .file(extensions: ["prom"]))
    var metricsTextfile: String?

    @Option(
        help: ArgumentHelp(
            "How long to wait for xenstored at start (systemd.time(7); default: \(Self.xenstoreWaitDefault)).",
            valueName: "duration"),
        transform: DurationArgument.parse)
    var xenstoreWait = Self.xenstoreWaitDefault

    static let resyncDefault = DurationArgument(.seconds(300))
    static let xenstoreWaitDefault = DurationArgument(.seconds(30))

    @Flag(help: .hidden)
    var noLocalDomainWatch = false

    func run() async throws {
        let logger = options.logging.logger(defaultLevel: .info)
        let registry = PrometheusCollectorRegistry()
        if metricsTextfile != nil { MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry)) }
        try await options.withStateLock(holder: .daemon) { try await runLocked(logger: logger, registry: registry) }
    }

    private func runLocked(logger: Logger, registry: PrometheusCollectorRegistry) async throws {
        let host = try await Host.open(options, logger: logger, wait: xenstoreWait.duration)
        var settings = DaemonSettings(
            reconcile: options.settings(changes, writes: writes),
            configDirectory: HostOptions.absolute(options.configDir),
            loadDesired: { [options] in options.loadDesiredState(logger: logger) },
            stateDirectory: options.resolvedStateDir,
            watchLocalDomain: options.hypervisor == .simulated && !noLocalDomainWatch)
        settings.resync = resync.duration
        // Which daemon serves xenstore does not change under a running daemon: ask once, not on every pass.
        let store = host.store
        settings.reconcile.batchRegions = try await host.blocking.run { Executor.batchSize(for: store) }
        if let metricsTextfile {
            settings.afterPass = { MetricsTextfile.write(registry, to: metricsTextfile, logger: logger) }
        }
        let daemon = ReconcileDaemon(
            store: host.store, hypervisor: host.hypervisor, settings: settings, logger: logger, blocking: host.blocking)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: daemon)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// node_exporter's textfile collector reads `*.prom` files: write to a temp file and rename, so that it never reads
/// half a file.
enum MetricsTextfile {
    static func write(_ registry: PrometheusCollectorRegistry, to path: String, logger: Logger) {
        do {
            try Data(registry.emitToBuffer()).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            logger.error("cannot write metrics to \(path): \(error)")
        }
    }
}
