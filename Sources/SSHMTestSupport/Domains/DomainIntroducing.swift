import SSHMCore
import SSHMReconcile

/// A store that can act like a toolstack towards xenstored: introduce and release domains. Not part of the port: the
/// reconciler never does this; tests do, to make `@introduceDomain` and `@releaseDomain` fire.
package protocol DomainIntroducing: XenStore {
    /// Like `xs_introduce_domain`: fires `@introduceDomain`.
    func introduceDomain(_ domid: DomID) throws
    /// Like `xs_release_domain`: fires `@releaseDomain`.
    func releaseDomain(_ domid: DomID) throws
}

extension DomainIntroducing {
    /// `/local/domain/<domid>`: the path an error of ``introduceDomain(_:)`` or ``releaseDomain(_:)`` names.
    package static func domainPath(_ domid: DomID) -> XenStorePath { XenStorePath("/local/domain/\(domid)") }
}

extension InMemoryXenStore: DomainIntroducing {}
