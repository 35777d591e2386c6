import SSHMCore
import SSHMReconcile
import Testing

/// The sentence a refused map gets: the Xen version, the borrower's type, and what would work.
struct RefusalMessageTests {
    static let xen = HypervisorInfo(kind: "xen", version: "4.17.7", arch: .x86_64, isControlDomain: true)

    static func refusal(into borrower: UInt32, errno: Int32 = 22) -> HypervisorError {
        HypervisorError(
            operation: "xc_domain_add_to_physmap_batch", errno: errno, borrower: DomID(unchecked: borrower),
            owner: DomID(unchecked: 3), gfns: 0x100_0000...0x100_0000)
    }

    @Test func aDomUBorrowerUnderAutoIsToldOnlyDom0CanBorrowOnStockXen() {
        #expect(
            RefusalMessage.text(Self.refusal(into: 5), info: Self.xen, setting: .auto, borrowerKind: .pvh)
                == "Xen 4.17.7 on x86_64 refused to map dom3's pages into dom5, a PVH domU, with map space share "
                + "(XENMAPSPACE 6: Invalid argument (EINVAL, errno 22) at gfn 0x1000000); stock Xen maps only into dom0: make "
                + "dom0 the borrower, or run Xen with the static shared memory series' gmfn_share patch.")
    }

    @Test func aDomUBorrowerUnderForeignIsAlsoToldAboutAuto() {
        #expect(
            RefusalMessage.text(Self.refusal(into: 5, errno: 1), info: Self.xen, setting: .foreign, borrowerKind: .pv)
                .hasSuffix(
                    "a PV domU, with map space foreign (XENMAPSPACE 4: Operation not permitted (EPERM, errno 1) at gfn "
                        + "0x1000000); stock Xen maps only into dom0: make dom0 the borrower, or run Xen with the static "
                        + "shared memory series' gmfn_share patch and --map-space auto."))
    }

    @Test func dom0UnderShareIsToldAutoWouldWork() {
        #expect(
            RefusalMessage.text(Self.refusal(into: 0), info: Self.xen, setting: .share, borrowerKind: .pvh)
                .hasSuffix(
                    "into dom0, a PVH dom0, with map space share (XENMAPSPACE 6: Invalid argument (EINVAL, errno 22) at gfn "
                        + "0x1000000); stock Xen has no gmfn_share: a dom0 borrower works with --map-space auto (the "
                        + "default) or foreign."))
    }

    @Test func aPVDom0OnX86IsToldToBootAsPVH() {
        #expect(
            RefusalMessage.text(Self.refusal(into: 0, errno: 13), info: Self.xen, setting: .auto, borrowerKind: .pv)
                .hasSuffix(
                    "a PV dom0, with map space foreign (XENMAPSPACE 4: Permission denied (EACCES, errno 13) at gfn "
                        + "0x1000000); on x86, stock Xen maps only into a PVH dom0: boot dom0 with dom0=pvh."))
    }

    @Test func anUnknownTypeIsLeftOut() {
        #expect(
            RefusalMessage.text(Self.refusal(into: 5), info: Self.xen, setting: .auto, borrowerKind: nil)
                .contains("into dom5, a domU, with map space share"))
    }
}
