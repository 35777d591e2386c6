/// How a region ended its last pass (docs/design.md, "Conditions").
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

/// Why a region has its condition: CamelCase like Kubernetes condition reasons, stable strings for scripts and
/// alerts. A struct rather than an enum so that a conditions file written by a newer version still decodes.
package struct ConditionReason: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    package var rawValue: String

    package init(rawValue: String) { self.rawValue = rawValue }

    package init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    package var description: String { rawValue }

    package static let converged = Self(rawValue: "Converged")
    package static let waitingForOwner = Self(rawValue: "WaitingForOwner")
    package static let waitingForBorrower = Self(rawValue: "WaitingForBorrower")
    package static let ambiguousDomain = Self(rawValue: "AmbiguousDomain")
    package static let conflict = Self(rawValue: "Conflict")
    package static let refused = Self(rawValue: "RefusedByHypervisor")
    package static let invalidRequest = Self(rawValue: "InvalidRequest")
    package static let hypervisorError = Self(rawValue: "HypervisorError")
    package static let xenstoreError = Self(rawValue: "XenstoreError")
    package static let retriesExhausted = Self(rawValue: "RetriesExhausted")
    package static let corruptRecord = Self(rawValue: "CorruptRecord")
    package static let invalidManifest = Self(rawValue: "InvalidManifest")
    package static let foreignSource = Self(rawValue: "SourceOutsideConfigDir")
    package static let pruning = Self(rawValue: "Pruning")
}

/// A region's condition with its reason and a one-sentence message.
package struct RegionCondition: Hashable, Codable, Sendable {
    package var kind: ConditionKind
    package var reason: ConditionReason
    package var message: String
    /// The manifest the region comes from.
    package var source: String?
    /// For terminal failures: what the input looked like, so that the same input is not tried again (no retry
    /// storm) while a changed one is.
    package var fingerprint: String?

    package init(
        _ kind: ConditionKind, reason: ConditionReason, message: String, source: String? = nil,
        fingerprint: String? = nil
    ) {
        self.kind = kind
        self.reason = reason
        self.message = message
        self.source = source
        self.fingerprint = fingerprint
    }
}
