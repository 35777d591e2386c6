import Metrics
import SSHMCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The daemon's metrics, through swift-metrics (the binary bootstraps a Prometheus backend and writes its text
/// format to `--metrics-textfile` after every pass).
package struct DaemonMetrics: Sendable {
    private let passes = Counter(label: "sshm_reconcile_passes_total")
    private let passFailures = Counter(label: "sshm_reconcile_pass_failures_total")
    private let duration = Timer(label: "sshm_reconcile_pass_duration_seconds")
    private let lastSuccess = Gauge(label: "sshm_reconcile_last_success_timestamp_seconds")

    package init() {}

    /// Records a pass that ran to its end (some actions may have failed).
    /// - Parameter conditions: how many regions have each kind of condition, when any changed (the per-condition
    ///   gauges are set only then); `nil` otherwise.
    package func record(_ report: PassReport, duration elapsed: Duration, conditions counts: [ConditionKind: Int]?) {
        passes.increment()
        duration.recordNanoseconds(
            Int64(elapsed.components.seconds) * 1_000_000_000 + Int64(elapsed.components.attoseconds / 1_000_000_000))
        for region in report.plan.regions {
            for (index, action) in region.actions.enumerated() {
                let result = report.execution.failure(of: region, at: index) == nil ? "success" : "failure"
                Counter(
                    label: "sshm_reconcile_actions_total",
                    dimensions: [("kind", action.kind.rawValue), ("result", result)]
                )
                .increment()
            }
        }
        if let counts {
            for kind in ConditionKind.allCases {
                Gauge(label: "sshm_reconcile_regions", dimensions: [("condition", kind.rawValue)]).record(
                    counts[kind] ?? 0)
            }
        }
        if report.execution.failures.isEmpty { lastSuccess.record(Date().timeIntervalSince1970) }
    }

    /// The doorbells by state (`sshm_reconcile_doorbells{state="connected"}`, …), and one more reset for each pair
    /// that was found broken.
    package func recordDoorbells(_ counts: [String: Int], resets: Int) {
        for state in ["waiting_for_owner", "waiting_for_borrower", "connected", "broken"] {
            Gauge(label: "sshm_reconcile_doorbells", dimensions: [("state", state)]).record(counts[state] ?? 0)
        }
        if resets > 0 { Counter(label: "sshm_reconcile_doorbell_resets_total").increment(by: resets) }
    }

    /// Records a pass that could not run (xenstore or the hypervisor unreachable).
    package func recordFailedPass() {
        passes.increment()
        passFailures.increment()
    }
}
