import SSHMCore
import SSHMReconcile

/// The exit codes of docs/design.md ("Command line and exit codes"), first that applies: 64 usage, 69 unavailable,
/// 75 temporary, 65 invalid manifest, 1 a region Failed or Degraded, 2 changes pending (`plan --detailed-exitcode`),
/// 0. Decided from typed values only (condition kinds and reasons), never from message text.
enum ExitStatus {
    static let success: Int32 = 0
    static let failure: Int32 = 1
    static let changes: Int32 = 2
    static let usage: Int32 = 64
    static let dataError: Int32 = 65
    static let unavailable: Int32 = 69
    static let temporary: Int32 = 75

    /// The status when the state directory cannot be locked: temporary while another process holds the lock.
    static func afterLock(_ failure: StateLock.Failure) -> Int32 {
        switch failure {
        case .held: temporary
        case .failed: unavailable
        }
    }

    /// The status of `apply` (and `--once`, and one daemon pass).
    static func afterApply(desired: DesiredState, conditions: [RegionID: RegionCondition]) -> Int32 {
        if conditions.values.contains(where: { $0.kind == .degraded && $0.reason == .retriesExhausted }) {
            return temporary
        }
        if desired.hasErrors { return dataError }
        if conditions.values.contains(where: { $0.kind == .failed || $0.kind == .degraded }) { return failure }
        return success
    }

    /// The status of `plan`: plain plan exits 0 unless a manifest is invalid; `--detailed-exitcode` adds 1 for
    /// regions that cannot converge and 2 for pending changes.
    static func afterPlan(desired: DesiredState, plan: Plan, detailed: Bool) -> Int32 {
        if desired.hasErrors { return dataError }
        guard detailed else { return success }
        if plan.outlook.values.contains(where: { $0.kind == .failed }) { return failure }
        return plan.isEmpty ? success : changes
    }

    /// The status of `wait`: 0 in place, 1 a region Failed, 75 timed out, 64 unknown, 65 Frozen.
    static func afterWait(_ outcome: ReadinessVerdict.Outcome) -> Int32 {
        switch outcome {
        case .ready: success
        case .failed: failure
        case .waiting: temporary
        case .unknown: usage
        case .frozen: dataError
        }
    }
}
