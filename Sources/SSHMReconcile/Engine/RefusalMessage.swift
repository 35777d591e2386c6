import SSHMCore

/// The one sentence a region gets when the hypervisor refuses to map: the Xen version, the borrower and its type,
/// the map space, the answer, and what would work instead.
package enum RefusalMessage {
    package static func text(
        _ error: HypervisorError, info: HypervisorInfo, setting: MapSpaceSetting, borrowerKind: DomainInfo.Kind?
    ) -> String {
        let borrower = error.borrower ?? .dom0
        let space = setting.space(for: borrower)
        let owner = error.owner.map { "dom\($0)'s pages " } ?? ""
        let at = error.gfns.map { " at gfn 0x\(String($0.lowerBound, radix: 16))" } ?? ""
        return "\(info.displayName) on \(info.arch.rawValue) refused to map \(owner)into dom\(borrower), "
            + "\(describe(borrower, kind: borrowerKind)), with map space \(space.rawValue) "
            + "(XENMAPSPACE \(space.xenValue): \(SystemErrno(error.errno))\(at)); "
            + advice(borrower: borrower, kind: borrowerKind, space: space, arch: info.arch) + "."
    }

    /// `a PVH domU`, `a PV dom0`, `a domU`.
    static func describe(_ domid: DomID, kind: DomainInfo.Kind?) -> String {
        let role = domid == .dom0 ? "dom0" : "domU"
        guard let kind, kind != .unknown else { return "a \(role)" }
        return "a \(kind.rawValue.uppercased()) \(role)"
    }

    /// What would work: on stock Xen only dom0 borrows (with gmfn_foreign, and on x86 only a PVH dom0); anything
    /// else needs the series' hypervisor patch (gmfn_share).
    static func advice(borrower: DomID, kind: DomainInfo.Kind?, space: MapSpace, arch: Arch) -> String {
        if borrower != .dom0 {
            return "stock Xen maps only into dom0: make dom0 the borrower, or run Xen with the static shared memory "
                + "series' gmfn_share patch" + (space == .foreign ? " and --map-space auto" : "")
        }
        switch space {
        case .share:
            return "stock Xen has no gmfn_share: a dom0 borrower works with --map-space auto (the default) or foreign"
        case .foreign where arch == .x86_64 && kind != .pvh:
            return "on x86, stock Xen maps only into a PVH dom0: boot dom0 with dom0=pvh"
        case .foreign:
            return "check the hypervisor's XSM policy, which must let dom0 map foreign pages"
        }
    }
}
