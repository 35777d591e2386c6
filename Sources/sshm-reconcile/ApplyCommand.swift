import ArgumentParser
import SSHMCore
import SSHMReconcile

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Make the host match the manifests, once (same as --once).",
        discussion: """
            Takes <state-dir>/lock (exit 75 when another apply or the daemon holds it: the daemon applies every \
            change itself, and `systemctl reload sshm-reconcile` makes it re-read the manifests now), maps, repairs, \
            unmaps and prunes, and stores every region's condition. A broken manifest freezes its regions; the valid \
            ones are still applied (exit 65).
            """)

    @OptionGroup var pass: ApplyPass

    func run() async throws {
        throw ExitCode(try await pass.apply())
    }
}

/// The options and the pass of `apply`, which `--once` runs too (``OnceCommand``).
struct ApplyPass: ParsableArguments {
    @OptionGroup var options: HostOptions
    @OptionGroup var changes: ChangeOptions
    @OptionGroup var writes: WriteOptions

    @Option(
        help: ArgumentHelp(
            """
            Write Prometheus metrics here after the pass (node_exporter's textfile collector): the time of the \
            last successful pass, regions by condition, the pass's duration.
            """,
            valueName: "path"),
        completion: .file(extensions: ["prom"]))
    var metricsTextfile: String?

    /// One pass, as `apply` and `--once` run it. Returns the exit status.
    func apply() async throws -> Int32 {
        try await options.withStateLock(holder: .apply) { try await applyLocked() }
    }

    private func applyLocked() async throws -> Int32 {
        let logger = options.logging.logger()
        let started = ContinuousClock.now
        let desired = options.loadDesiredState()
        let host = try await Host.open(options, logger: logger)
        let settings = options.settings(changes, writes: writes)
        let conditions = ConditionStore(directory: options.resolvedStateDir)
        let stored = conditions.load()
        let previous = stored.mapValues(\.condition)
        let report: PassReport
        do {
            report = try await host.run {
                try Reconciler(store: host.store, hypervisor: host.hypervisor, settings: settings, logger: logger)
                    .reconcile(desired, previous: previous)
            }
        } catch {
            Output.error("\(error)")
            return ExitStatus.unavailable
        }
        do {
            try conditions.save(ConditionStore.entries(report.conditions, previous: stored))
        } catch {
            Output.error("cannot store conditions in \(conditions.path): \(error)")
        }
        if let metricsTextfile {
            do {
                try PassMetrics.write(report, duration: ContinuousClock.now - started, to: metricsTextfile)
            } catch {
                Output.error("cannot write metrics to \(metricsTextfile): \(error)")
            }
        }
        // Quiet drops progress, never a failure: the regions that end Failed or Degraded are still said.
        Output.print(
            options.logging.quiet ? ApplySummary.problems(report) : ApplySummary.text(report, desired: desired))
        return ExitStatus.afterApply(desired: desired, conditions: report.conditions)
    }
}

/// What `apply` prints: each action with its result, then one line of totals.
enum ApplySummary {
    static func text(_ report: PassReport, desired: DesiredState) -> String {
        var lines: [String] = []
        for region in report.plan.regions {
            for (index, action) in region.actions.enumerated() {
                lines.append(action.line + (report.execution.failure(of: region, at: index) == nil ? "" : "  (failed)"))
            }
        }
        lines += report.plan.notes.map { "note: \($0)" }
        lines += problemLines(report)
        lines.append(headline(report, invalidManifests: desired.frozenSources.count))
        return lines.joined(separator: "\n") + "\n"
    }

    /// `Applied 3 of 4 changes (1 failed); regions: 2 Ready, 1 Failed.`, `No changes were needed; regions: 4 Ready.`,
    /// with `1 manifest is invalid: its regions were left as they are.` when one is.
    static func headline(_ report: PassReport, invalidManifests: Int) -> String {
        let failed = report.execution.failures.count
        let total = report.plan.actions.count
        let byKind = Dictionary(grouping: report.conditions.values, by: \.kind).mapValues(\.count)
        let regions = ConditionKind.allCases.compactMap { kind in byKind[kind].map { "\($0) \(kind.rawValue)" } }
        var text =
            total == 0
            ? "No changes were needed"
            : "Applied \(total - failed) of \(MessageText.count(total, "change"))"
                + (failed > 0 ? " (\(failed) failed)" : "")
        text += "; regions: " + (regions.isEmpty ? "none" : regions.joined(separator: ", ")) + "."
        if invalidManifests > 0 {
            text +=
                " \(MessageText.count(invalidManifests, "manifest")) \(invalidManifests == 1 ? "is" : "are") invalid: "
                + "\(invalidManifests == 1 ? "its" : "their") regions were left as they are."
        }
        return text
    }

    /// What `apply -q` prints: one line per region that ends Failed or Degraded, nothing when all went well.
    static func problems(_ report: PassReport) -> String {
        problemLines(report).map { $0 + "\n" }.joined()
    }

    private static func problemLines(_ report: PassReport) -> [String] {
        report.conditions.sorted(by: { $0.key < $1.key }).compactMap { id, condition in
            guard condition.kind == .failed || condition.kind == .degraded else { return nil }
            return "\(id): \(condition.kind.rawValue) (\(condition.reason)): \(condition.message)"
        }
    }
}
