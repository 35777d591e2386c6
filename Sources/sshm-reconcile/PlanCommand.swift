import ArgumentParser
import SSHMCore
import SSHMReconcile

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what apply would change, without changing anything.",
        discussion: """
            Takes no lock and writes nothing. One line per change (+ map, - unmap, ~ repair, -/+ remap, - gc, \
            - prune), then a headline: the changes, and what they leave unmatched (regions Pending, Failed, Frozen; \
            invalid manifests). Exits 0 even with changes pending, unless --detailed-exitcode is given; 65 when a \
            manifest is invalid.
            """)

    @OptionGroup var options: HostOptions
    @OptionGroup var changes: ChangeOptions

    @Flag(help: "Exit 0 when nothing would change, 2 when something would, 1 when a region cannot converge.")
    var detailedExitcode = false

    @Flag(help: "Print the plan as JSON (docs/plan.schema.json): no headline, no diagnostics on stdout.")
    var json = false

    func run() async throws {
        let logger = options.logging.logger()
        let desired = options.loadDesiredState()
        let host = try await Host.open(options, logger: logger)
        let settings = options.settings(changes)
        let stored = ConditionStore(directory: options.resolvedStateDir).load().mapValues(\.condition)
        let (plan, domains): (Plan, DomainTable)
        do {
            (plan, domains) = try await host.run {
                let reconciler = Reconciler(
                    store: host.store, hypervisor: host.hypervisor, settings: settings, logger: logger)
                let observation = try reconciler.observe(declared: Set(desired.regions.map(\.id)))
                return (reconciler.plan(desired, observation, previous: stored), observation.domains)
            }
        } catch {
            Output.error("\(error)")
            throw ExitCode(ExitStatus.unavailable)
        }
        Output.print(
            json
                ? try PlanJSON.render(plan, domains: domains)
                : PlanRenderer.text(plan, invalidManifests: desired.frozenSources.count))
        throw ExitCode(ExitStatus.afterPlan(desired: desired, plan: plan, detailed: detailedExitcode))
    }
}
