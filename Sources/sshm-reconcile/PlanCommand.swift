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
            - prune), then a summary. Exits 0 even with changes pending, unless --detailed-exitcode is given; \
            65 when a manifest is invalid.
            """)

    @OptionGroup var options: HostOptions

    @Flag(help: "Exit 0 when nothing would change, 2 when something would, 1 when a region cannot converge.")
    var detailedExitcode = false

    @Flag(help: "Print the plan as JSON.")
    var json = false

    func run() async throws {
        let logger = options.logging.logger()
        let desired = options.loadDesiredState()
        let host = try await Host.open(options, logger: logger)
        let settings = options.settings
        let stored = ConditionStore(directory: options.resolvedStateDir).load().mapValues(\.condition)
        let plan: Plan
        do {
            plan = try await host.run {
                let reconciler = Reconciler(
                    store: host.store, hypervisor: host.hypervisor, settings: settings, logger: logger)
                let observation = try reconciler.observe(declared: Set(desired.regions.map(\.id)))
                return reconciler.plan(desired, observation, previous: stored)
            }
        } catch {
            Output.error("\(error)")
            throw ExitCode(ExitStatus.unavailable)
        }
        Output.print(json ? try PlanJSON.render(plan) : PlanRenderer.text(plan))
        throw ExitCode(ExitStatus.afterPlan(desired: desired, plan: plan, detailed: detailedExitcode))
    }
}

/// `plan --json`: `{"actions":[{"kind","region","subject","detail"}],"summary":{…},"notes":[…]}`.
enum PlanJSON {
    private struct Document: Encodable {
        struct Item: Encodable {
            var kind: String
            var region: String
            var subject: String
            var detail: String
        }
        var actions: [Item]
        var summary: [String: Int]
        var notes: [String]
    }

    static func render(_ plan: Plan) throws -> String {
        let counts = plan.counts
        let document = Document(
            actions: plan.actions.map {
                Document.Item(
                    kind: $0.kind.rawValue, region: $0.region.rawValue, subject: $0.subject, detail: $0.detail)
            },
            summary: Dictionary(
                uniqueKeysWithValues: Action.Kind.allCases.map { ($0.rawValue, counts[$0, default: 0]) }),
            notes: plan.notes)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
    }
}
