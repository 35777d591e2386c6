import ArgumentParser
import SSHMCore
import SSHMReconcile

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every region's condition, its domains, and the hypervisor.",
        discussion: "Conditions come from the last apply or daemon pass; takes no lock and changes nothing.")

    @OptionGroup var options: HostOptions

    @Flag(help: "Print JSON: regions with id, condition, reason, message, source, owner and borrowers.")
    var json = false

    func run() async throws {
        let logger = options.logging.logger()
        let desired = options.loadDesiredState(printDiagnostics: false)
        let host = try await Host.open(options, logger: logger)
        let settings = options.settings
        let stored = ConditionStore(directory: options.resolvedStateDir).load()
        let report: StatusReport
        do {
            report = try await host.run {
                let reconciler = Reconciler(
                    store: host.store, hypervisor: host.hypervisor, settings: settings, logger: logger)
                let observation = try reconciler.observe(declared: Set(desired.regions.map(\.id)))
                let plan = reconciler.plan(desired, observation, previous: stored.mapValues(\.condition))
                return StatusReport.build(
                    desired: desired, observation: observation, plan: plan, stored: stored, space: settings.space)
            }
        } catch {
            Output.error("\(error)")
            throw ExitCode(ExitStatus.unavailable)
        }
        Output.print(
            json ? try StatusRenderer.json(report) : StatusRenderer.table(report, colour: Output.stdoutIsTerminal))
    }
}
