import SSHMCore

/// `--map-space`: which ``MapSpace`` each borrower is mapped with.
package enum MapSpaceSetting: String, CaseIterable, Sendable {
    /// `foreign` for a dom0 borrower, `share` for a domU borrower: what can work on each, decided without probing
    /// (a map space cannot be tested without mapping something). On stock Xen a dom0 borrower maps and a domU
    /// borrower is refused, as it would be with any space.
    case auto
    /// Every borrower with `XENMAPSPACE_gmfn_share`: the series' patched hypervisor.
    case share
    /// Every borrower with `XENMAPSPACE_gmfn_foreign`: stock Xen, where only dom0 can borrow.
    case foreign

    /// The space to map `borrower` with.
    package func space(for borrower: DomID) -> MapSpace {
        switch self {
        case .auto: borrower == .dom0 ? .foreign : .share
        case .share: .share
        case .foreign: .foreign
        }
    }
}
