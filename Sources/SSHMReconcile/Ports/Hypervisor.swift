import SSHMCore

#if canImport(Glibc)
    import Glibc
#endif

/// A domain as the hypervisor lists it.
package struct DomainInfo: Hashable, Sendable {
    package enum Kind: String, Sendable {
        case pv
        case pvh
        case hvm
        case unknown
    }

    package var domid: DomID
    package var uuid: DomainUUID
    /// Being destroyed: treat as gone.
    package var isDying: Bool
    /// Shut down (crashed, powered off, suspended) but not yet destroyed.
    package var isShutdown: Bool
    package var kind: Kind

    package init(
        domid: DomID, uuid: DomainUUID, isDying: Bool = false, isShutdown: Bool = false, kind: Kind = .unknown
    ) {
        self.domid = domid
        self.uuid = uuid
        self.isDying = isDying
        self.isShutdown = isShutdown
        self.kind = kind
    }

    /// Alive enough to map into or out of.
    package var isRunning: Bool { !isDying && !isShutdown }
}

/// `XENMAPSPACE_*` values this tool may pass to `XENMEM_add_to_physmap_batch`.
package enum MapSpace: String, CaseIterable, Sendable {
    /// `XENMAPSPACE_gmfn_share` (6): from the series' hypervisor patch (xen commit 630047a5d5, never merged
    /// upstream; carried by the downstream fork: `Xilinx/xen@xlnx_rebase_4.17:xen/include/public/memory.h:220`,
    /// `#define XENMAPSPACE_gmfn_share 6`, added there by 8fcdf3a07e). Stock Xen 4.17 has no case for it and answers
    /// every page with -EINVAL; a PV borrower gets EACCES for the whole call first.
    case share
    /// `XENMAPSPACE_gmfn_foreign` (4): stock Xen. On x86 only a translated hardware domain (PVH dom0) may borrow.
    case foreign

    /// The hypercall's value.
    package var xenValue: UInt32 {
        switch self {
        case .share: 6
        case .foreign: 4
        }
    }
}

/// What preflight learns about the hypervisor.
package struct HypervisorInfo: Hashable, Sendable {
    /// `"xen"` or `"simulated"`.
    package var kind: String
    /// E.g. `4.17.7` or `simulated`.
    package var version: String
    package var arch: Arch
    /// Whether this process runs in the control domain (only dom0 may call the mapping hypercalls).
    package var isControlDomain: Bool

    /// `Xen 4.17.7`, or `simulated Xen 4.17 (stock)`.
    package var displayName: String { kind == "xen" ? "Xen \(version)" : "\(kind) Xen \(version)" }

    package init(kind: String, version: String, arch: Arch, isControlDomain: Bool) {
        self.kind = kind
        self.version = version
        self.arch = arch
        self.isControlDomain = isControlDomain
    }
}

/// The hypervisor, as the reconciler needs it: list domains, map pages of an owner into a borrower, unmap them.
///
/// Every method **blocks**: call from a ``BlockingExecutor`` thread. libxenctrl cannot list a domain's foreign
/// mappings, so the xenstore records are the only memory of what is mapped.
package protocol Hypervisor: EventChannels {
    /// Xen version, architecture, and whether we are dom0.
    func info() throws -> HypervisorInfo

    /// Every domain that exists now, dying ones included (flagged).
    func listDomains() throws -> [DomainInfo]

    /// One `xc_domain_add_to_physmap_batch` call: maps `count` owner frames starting at `ownerGFN` into the borrower
    /// at `borrowerGFN…`. `count` must be at most ``Page/maxBatch``: the hypercall's size field is 16 bits wide,
    /// and a larger count is silently truncated by the real call.
    ///
    /// - Returns: one errno per page, `0` meaning mapped (Xen reports these as negative values; they are returned
    ///   positive here).
    /// - Throws: ``HypervisorError`` when the whole call failed; then no page was mapped and no per-page result
    ///   exists.
    func addToPhysmapBatch(
        borrower: DomID, owner: DomID, space: MapSpace, ownerGFN: UInt64, borrowerGFN: UInt64, count: Int
    ) throws -> [Int32]

    /// One `xc_domain_remove_from_physmap` call.
    /// - Returns: `false` when nothing was mapped there (ENOENT).
    func removeFromPhysmap(borrower: DomID, gfn: UInt64) throws -> Bool

    /// Unmaps every frame of `gfns`, in order: one ``removeFromPhysmap(borrower:gfn:)`` per frame, unless the
    /// adapter can do it in one step (the simulator, whose bookkeeping is per range).
    /// - Returns: how many of the frames were mapped.
    /// - Throws: ``HypervisorError`` for the first frame that failed; the frames before it are unmapped.
    func removeFromPhysmap(borrower: DomID, gfns: Range<UInt64>) throws -> UInt64

    /// A domain's type, for messages; `nil` when it does not exist.
    func domainKind(_ domid: DomID) throws -> DomainInfo.Kind?
}

extension Hypervisor {
    /// One call per frame, as on Xen.
    package func removeFromPhysmap(borrower: DomID, gfns: Range<UInt64>) throws -> UInt64 {
        var mapped: UInt64 = 0
        for gfn in gfns {
            do {
                if try removeFromPhysmap(borrower: borrower, gfn: gfn) { mapped += 1 }
            } catch var error as HypervisorError {
                error.gfns = error.gfns ?? gfn...gfn
                throw error
            }
        }
        return mapped
    }

    package func domainKind(_ domid: DomID) throws -> DomainInfo.Kind? {
        try listDomains().first { $0.domid == domid }?.kind
    }

    /// A hypervisor that cannot tell (a test's stand-in): every doorbell it is asked about is broken.
    package func eventChannelStatus(domain: DomID, port: UInt32) throws -> EventChannelStatus {
        throw HypervisorError(code: .unavailable, operation: "xc_evtchn_status", errno: ENOSYS, owner: domain)
    }
}

/// The event-channel view a doorbell needs: dom0 only reads the state of a guest's port; the guests allocate, bind
/// and close their own (dom0 cannot close another domain's port).
package protocol EventChannels: AnyObject, Sendable {
    /// `xc_evtchn_status` of `port` in `domain`. Blocks.
    /// - Throws: ``HypervisorError``: EINVAL for a port the domain does not have, ESRCH for a domain that is gone.
    func eventChannelStatus(domain: DomID, port: UInt32) throws -> EventChannelStatus
}
