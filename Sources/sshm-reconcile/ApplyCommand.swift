import ArgumentParser
import SSHMCore
import SSHMReconcile

struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Make the host match the manifests, once (same as --once).",
        discussion: """
            Takes <state-dir>/lock (exit 75 when another apply or the daemon holds it), maps, repairs, unmaps and \
            prunes, and stores every region's condition. A broken manifest freezes its regions; the valid ones are \
            still applied (exit 65).
            """)

    @OptionGroup var options: HostOptions

    func run() async throws {
        throw ExitCode(try await Self.apply(options))
    }

    /// One pass, as `apply` and `--once` run it. Returns the exit status.
    static func apply(_ options: HostOptions) async throws -> Int32 {
        let logger = options.logging.logger()
        let lock: StateLock
        do {
            lock = try StateLock(directory: options.resolvedStateDir)
        } catch {
            Output.error("\(error)")
            return ExitStatus.afterLock(error)
        }
        defer { withExtendedLifetime(lock) {} }
        let desired = options.loadDesiredState()
        let host = try await Host.open(options, logger: logger)
        let settings = options.settings
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
        if !options.logging.quiet { Output.print(ApplySummary.text(report)) }
        return ExitStatus.afterApply(desired: desired, conditions: report.conditions)
    }
}

/// What `apply` prints: each action with its result, then one line of totals.
enum ApplySummary {
    static func text(_ report: PassReport) -> String {
        var lines: [String] = []
        for region in report.plan.regions {
            for (index, action) in region.actions.enumerated() {
                lines.append(action.line + (report.execution.failure(of: region, at: index) == nil ? "" : "  (failed)"))
            }
        }
        lines += report.plan.notes.map { "note: \($0)" }
        for (id, condition) in report.conditions.sorted(by: { $0.key < $1.key })
        where condition.kind == .failed || condition.kind == .degraded {
            lines.append("\(id): \(condition.kind.rawValue) (\(condition.reason)): \(condition.message)")
        }
        let failed = report.execution.failures.count
        let byKind = Dictionary(grouping: report.conditions.values, by: \.kind).mapValues(\.count)
        let regions = ConditionKind.allCases.compactMap { kind in byKind[kind].map { "\($0) \(kind.rawValue)" } }
        let total = report.plan.actions.count
        lines.append(
            "Applied \(total - failed) of \(total) change\(total == 1 ? "" : "s")"
                + (failed > 0 ? " (\(failed) failed)" : "") + "; regions: "
                + (regions.isEmpty ? "none" : regions.joined(separator: ", ")) + ".")
        return lines.joined(separator: "\n") + "\n"
    }
}
