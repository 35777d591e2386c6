import CXenStore
import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXen

/// The toolstack's calls on a real xenstored, for tests: never the reconciler's, so not in ``LibXenStore`` itself.
extension LibXenStore: DomainIntroducing {
    /// `xs_introduce_domain`: tells xenstored about a domain, which fires `@introduceDomain`. The ring page and event
    /// channel are dummies: the sandbox's fake hypervisor accepts any, and nobody talks on them.
    package func introduceDomain(_ domid: DomID) throws {
        try callOutsideTransaction("xs_introduce_domain", Self.domainPath(domid)) { handle in
            xs_introduce_domain(handle, domid.rawValue, 1, 1) ? () : nil
        }
    }

    /// `xs_release_domain`: xenstored forgets a domain, which fires `@releaseDomain`.
    package func releaseDomain(_ domid: DomID) throws {
        try callOutsideTransaction("xs_release_domain", Self.domainPath(domid)) { handle in
            xs_release_domain(handle, domid.rawValue) ? () : nil
        }
    }
}
