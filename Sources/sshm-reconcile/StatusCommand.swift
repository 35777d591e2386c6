import ArgumentParser
import SSHMCore
import SSHMReconcile

/// `status -o`: the table, the table with more columns, or JSON.
enum StatusFormat: String, CaseIterable, ExpressibleByArgument {
    case table
    case wide
    case json
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each region's condition, its domains, and the hypervisor.",
        discussion: """
            Conditions come from the last apply or daemon pass; takes no lock and changes nothing. Manifest \
            findings go to stderr. Exits 0, or 64 when a REGION named is neither declared nor recorded.
            """)

    @OptionGroup var options: HostOptions

    @Option(
        name: [.customShort("o"), .long],
        help: """
            table; wide (adds each region's reason, the time its condition last changed, its manifest and whether \
            each member's guest view is in place); json (docs/status.schema.json: conditions as a list, domids and \
            names, each member's view).
            """)
    var output: StatusFormat = .table

    @Flag(help: "The same as -o json.")
    var json = false

    @Argument(help: ArgumentHelp("Show only these regions.", valueName: "region"))
    var regions: [String] = []

    func validate() throws {
        for region in regions where RegionID(region) == nil {
            throw ValidationError("'\(region)' is not a region id: ids are 1-128 letters, digits, '-' and '_'.")
        }
    }

    func run() async throws {
        let logger = options.logging.logger()
        let desired = options.loadDesiredState()
        let host = try await Host.open(options, logger: logger)
        let settings = options.settings()
        let stored = ConditionStore(directory: options.resolvedStateDir).load()
        var report: StatusReport
        do {
            report = try await host.run {
                let reconciler = Reconciler(
                    store: host.store, hypervisor: host.hypervisor, settings: settings, logger: logger)
                let observation = try reconciler.observe(declared: Set(desired.regions.map(\.id)))
                let plan = reconciler.plan(desired, observation, previous: stored.mapValues(\.condition))
                let doorbells = try DoorbellStep(store: host.store, eventChannels: host.hypervisor, logger: logger)
                    .run(
                        DoorbellStep.candidates(desired, observation.actual), desired: desired,
                        domains: observation.domains, repair: false, known: observation.actual)
                return StatusReport.build(
                    desired: desired, observation: observation, plan: plan, stored: stored, space: settings.space,
                    doorbells: doorbells)
            }
        } catch {
            Output.error("\(error)")
            throw ExitCode(ExitStatus.unavailable)
        }
        if !regions.isEmpty {
            let known = Set(report.regions.map(\.id))
            if let unknown = regions.first(where: { !known.contains($0) }) {
                Output.error(
                    "no region '\(unknown)': it is neither declared in \(options.configDir) nor recorded in xenstore.")
                throw ExitCode(ExitStatus.usage)
            }
            report.regions.removeAll { !regions.contains($0.id) }
        }
        switch json ? .json : output {
        case .json: Output.print(try StatusJSON.render(report))
        case .table: Output.print(StatusRenderer.table(report, colour: Output.stdoutIsTerminal))
        case .wide: Output.print(StatusRenderer.table(report, colour: Output.stdoutIsTerminal, wide: true))
        }
    }
}
