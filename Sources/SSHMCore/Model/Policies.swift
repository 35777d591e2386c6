/// Access a region grants. Recorded and validated; the hypercall cannot enforce `ro` (docs/design.md,
/// "The hypervisor").
package enum Prot: String, CaseIterable, Comparable, Sendable {
    case ro
    case rw

    /// `ro < rw`: a borrower may not ask for more than the owner grants.
    package static func < (lhs: Prot, rhs: Prot) -> Bool { lhs == .ro && rhs == .rw }
}

/// Memory attributes recorded for the guests. Not a hypercall argument.
package enum CachePolicy: String, CaseIterable, Sendable {
    case armNormal = "ARM_normal"
    case x86Normal = "x86_normal"

    /// The policy a manifest gets when it names none.
    package static func `default`(for arch: Arch) -> CachePolicy {
        switch arch {
        case .x86_64: .x86Normal
        case .arm64: .armNormal
        }
    }
}

/// Host architectures the tool validates for.
public enum Arch: String, CaseIterable, Sendable {
    case x86_64
    case arm64

    /// The architecture this binary was built for.
    package static var host: Arch {
        #if arch(arm64)
            .arm64
        #else
            .x86_64
        #endif
    }
}

/// A domain's part in a region. The seed's `master`/`slave` are accepted as input aliases only.
package enum Role: String, Sendable {
    case owner
    case borrower
}
