import SSHMCore
import SSHMReconcile

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `apply --metrics-textfile` (and `--once`'s): what a timer's pass tells node_exporter's textfile collector, so
/// that a host without the daemon can alert on a pass that stopped succeeding. Names as the daemon's where the
/// meaning is the same; written to a temporary file and renamed, so that the collector never reads half of it.
enum PassMetrics {
    static let lastSuccess = "sshm_reconcile_last_success_timestamp_seconds"

    static func write(_ report: PassReport, duration: Duration, to path: String, now: Date = Date()) throws {
        let previous = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap(lastSuccess(in:))
        let succeeded = report.execution.failures.isEmpty
        let text = self.text(report, duration: duration, lastSuccess: succeeded ? now.timeIntervalSince1970 : previous)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// The textfile, `# HELP` and `# TYPE` before each metric.
    static func text(_ report: PassReport, duration: Duration, lastSuccess: Double?) -> String {
        var lines: [String] = []
        func metric(_ name: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            lines += ["# HELP \(name) \(help)", "# TYPE \(name) gauge"]
            lines += samples.map { "\(name)\($0.labels) \($0.value)" }
        }
        if let lastSuccess {
            metric(
                Self.lastSuccess, "Unix time of the last pass in which every action succeeded.",
                [("", "\(lastSuccess)")])
        }
        let counts = Dictionary(grouping: report.conditions.values, by: \.kind).mapValues(\.count)
        metric(
            "sshm_reconcile_regions", "Regions by condition after the last pass.",
            ConditionKind.allCases.map { ("{condition=\"\($0.rawValue)\"}", "\(counts[$0] ?? 0)") })
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        metric(
            "sshm_reconcile_last_pass_duration_seconds", "How long the last pass took, from taking the lock.",
            [("", "\(seconds)")])
        metric(
            "sshm_reconcile_last_pass_failed_actions", "Actions of the last pass that failed.",
            [("", "\(report.execution.failures.count)")])
        return lines.joined(separator: "\n") + "\n"
    }

    /// The last success time a previous pass wrote, kept when this one did not succeed.
    static func lastSuccess(in text: String) -> Double? {
        text.split(separator: "\n").lazy.compactMap { line -> Double? in
            guard line.hasPrefix(lastSuccess + " ") else { return nil }
            return Double(line.dropFirst(lastSuccess.count + 1))
        }.first
    }
}
