/// How a region ended its last pass (DESIGN §5).
package enum ConditionKind: String, CaseIterable, Codable, Sendable {
    /// Every borrower that exists is mapped and the records agree.
    case ready = "Ready"
    /// Waiting for a domain to exist. Not a failure.
    case pending = "Pending"
    /// Partly done; will be retried.
    case degraded = "Degraded"
    /// Terminal until the input changes: a conflict with a record we do not manage, or a hypervisor refusal.
    case failed = "Failed"
    /// Its manifest file is invalid: left exactly as it was.
    case frozen = "Frozen"
}

/// Reasons, CamelCase like Kubernetes condition reasons: stable strings for scripts and alerts.
package enum ConditionReason {
    package static let converged = "Converged"
    package static let waitingForOwner = "WaitingForOwner"
    package static let waitingForBorrower = "WaitingForBorrower"
    package static let ambiguousDomain = "AmbiguousDomain"
    package static let conflict = "Conflict"
    package static let refused = "RefusedByHypervisor"
    package static let invalidRequest = "InvalidRequest"
    package static let hypervisorError = "HypervisorError"
    package static let xenstoreError = "XenstoreError"
    package static let retriesExhausted = "RetriesExhausted"
    package static let corruptRecord = "CorruptRecord"
    package static let invalidManifest = "InvalidManifest"
    package static let foreignSource = "SourceOutsideConfigDir"
    package static let pruning = "Pruning"
}

/// A region's condition with its reason and a one-sentence message.
package struct RegionCondition: Hashable, Codable, Sendable {
    package var kind: ConditionKind
    package var reason: String
    package var message: String
    /// The manifest the region comes from.
    package var source: String?
    /// For terminal failures: what the input looked like, so that the same input is not tried again (no retry
    /// storm) while a changed one is.
    package var fingerprint: String?

    package init(
        _ kind: ConditionKind, reason: String, message: String, source: String? = nil, fingerprint: String? = nil
    ) {
        self.kind = kind
        self.reason = reason
        self.message = message
        self.source = source
        self.fingerprint = fingerprint
    }
}
