import SSHMCore

#if canImport(Glibc)
    import Glibc
#endif

/// A failed hypercall, with the domain and frame range it was about.
package struct HypervisorError: Error, Hashable, Sendable, CustomStringConvertible {
    package enum Code: Hashable, Sendable {
        /// EPERM/EACCES: the hypervisor (or its XSM policy) refuses. Terminal until the host changes.
        case refused
        /// ESRCH: a domain is gone.
        case domainGone
        /// ENOMEM.
        case outOfMemory
        /// EINVAL.
        case invalid
        /// The hypervisor interface could not be opened (no /dev/xen/privcmd, not dom0).
        case unavailable
        case other
    }

    package var code: Code
    /// `xc_domain_add_to_physmap_batch`, `xc_domain_remove_from_physmap`, `xc_domain_getinfolist`, …
    package var operation: String
    package var errno: Int32
    package var borrower: DomID?
    package var owner: DomID?
    /// The borrower frames the call was about.
    package var gfns: ClosedRange<UInt64>?
    /// The domain and event-channel port an event-channel call was about.
    package var domain: DomID?
    package var port: UInt32?
    /// What to check or do about it, for errors a person must act on (e.g. an interface that cannot be opened).
    package var hint: String?

    package init(
        code: Code, operation: String, errno: Int32, borrower: DomID? = nil, owner: DomID? = nil,
        gfns: ClosedRange<UInt64>? = nil, hint: String? = nil, domain: DomID? = nil, port: UInt32? = nil
    ) {
        self.code = code
        self.operation = operation
        self.errno = errno
        self.borrower = borrower
        self.owner = owner
        self.gfns = gfns
        self.hint = hint
        self.domain = domain
        self.port = port
    }

    package init(
        operation: String, errno: Int32, borrower: DomID? = nil, owner: DomID? = nil, gfns: ClosedRange<UInt64>? = nil,
        hint: String? = nil, domain: DomID? = nil, port: UInt32? = nil
    ) {
        self.init(
            code: Self.code(for: errno), operation: operation, errno: errno, borrower: borrower, owner: owner,
            gfns: gfns, hint: hint, domain: domain, port: port)
    }

    package static func code(for errno: Int32) -> Code {
        switch errno {
        case EPERM, EACCES: .refused
        case ESRCH: .domainGone
        case ENOMEM: .outOfMemory
        case EINVAL: .invalid
        default: .other
        }
    }

    /// A refusal or an invalid request will fail the same way next time; the rest may not.
    package var isTerminal: Bool { code == .refused || code == .invalid }

    package var description: String {
        var subject: [String] = []
        if let domain { subject.append("dom\(domain)") }
        if let port { subject.append("port \(port)") }
        if let borrower { subject.append("borrower dom\(borrower)") }
        if let owner { subject.append("owner dom\(owner)") }
        if let gfns {
            let first = "gfn 0x\(String(gfns.lowerBound, radix: 16))"
            subject.append(gfns.count == 1 ? first : "\(first)-0x\(String(gfns.upperBound, radix: 16))")
        }
        let about = subject.isEmpty ? "" : " (\(subject.joined(separator: ", ")))"
        let text = "\(operation)\(about): \(SystemErrno(errno))"
        return hint.map { "\(text); \($0)" } ?? text
    }
}
