import CXenCtrl
import Logging
import SSHMCore
import SSHMReconcile
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// The ``Hypervisor`` port on libxenctrl: the only owner of an `xc_interface`, closed when this object goes away.
///
/// Calls run one at a time under a lock: they share the one capture logger. Each reads `errno` on its own thread
/// right after the call. Calls block in the hypervisor: use them from a ``BlockingExecutor`` thread.
package final class LibXenCtrl: Hypervisor, @unchecked Sendable {
    // @unchecked: the handle and the logger are used only under `lock`, and freed only in deinit.
    private let xch: OpaquePointer
    private let capture: CaptureLogger
    private let lock = Mutex(())
    private let logger: Logger

    /// Domains asked for per `xc_domain_getinfolist` call.
    static let listBatch: UInt32 = 64

    /// Where the running kernel says whether it is the control domain.
    static let procCapabilitiesPath = "/proc/xen/capabilities"

    private init(xch: OpaquePointer, capture: CaptureLogger, logger: Logger) {
        self.xch = xch
        self.capture = capture
        self.logger = logger
    }

    deinit {
        // The capture logger is freed after this (it is a stored property), so the close may still log into it.
        if xc_interface_close(xch) != 0 {
            logger.debug("xc_interface_close failed", metadata: ["errno": "\(errno)"])
        }
    }

    /// Opens the interface with a logger that keeps libxenctrl quiet on stderr.
    /// - Throws: ``HypervisorError`` with code `.unavailable` and a hint naming what to check.
    package static func open(logger: Logger) throws(HypervisorError) -> LibXenCtrl {
        let capture = CaptureLogger()
        errno = 0
        guard let xch = xc_interface_open(capture.logger, capture.logger, 0) else {
            let callErrno = errno != 0 ? errno : (capture.lastErrno ?? ENOENT)
            let said = capture.lastMessage.map { "libxenctrl said \"\($0)\": " } ?? ""
            throw HypervisorError(
                code: .unavailable, operation: "xc_interface_open", errno: callErrno,
                hint: said + "run sshm-reconcile as root in dom0 of a Xen host, with /dev/xen/privcmd present "
                    + "(modprobe xen-privcmd) and xenfs mounted on /proc/xen, or use --hypervisor simulated")
        }
        return LibXenCtrl(xch: xch, capture: capture, logger: logger)
    }

    /// Runs one libxenctrl call under the lock with `errno` cleared; returns its result and `errno`.
    private func call<T>(_ body: (OpaquePointer) -> T) -> (result: T, errno: Int32) {
        lock.withLock { _ in
            errno = 0
            let result = body(xch)
            return (result, errno)
        }
    }

    package func info() throws -> HypervisorInfo {
        let packed = call { sshm_xen_version($0) }
        guard packed.result >= 0 else {
            throw HypervisorError(operation: "xc_version(XENVER_version)", errno: packed.errno)
        }
        var extra: xen_extraversion_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let extraRC = call { sshm_xen_extraversion($0, &extra) }
        guard extraRC.result >= 0 else {
            throw HypervisorError(operation: "xc_version(XENVER_extraversion)", errno: extraRC.errno)
        }
        let size = MemoryLayout<xen_capabilities_info_t>.size
        let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 1)
        defer { raw.deallocate() }
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        let capsRC = call { sshm_xen_capabilities($0, raw.bindMemory(to: xen_capabilities_info_t.self, capacity: 1)) }
        guard capsRC.result >= 0 else {
            throw HypervisorError(operation: "xc_version(XENVER_capabilities)", errno: capsRC.errno)
        }
        let capabilities = XenIdentity.string(fromCharArray: raw.load(as: xen_capabilities_info_t.self))
        let arch = XenIdentity.arch(capabilities: capabilities) ?? .host
        let procCapabilities = (try? String(contentsOfFile: Self.procCapabilitiesPath, encoding: .utf8)) ?? ""
        return HypervisorInfo(
            kind: "xen",
            version: XenIdentity.version(packed: packed.result, extra: XenIdentity.string(fromCharArray: extra)),
            arch: arch, isControlDomain: XenIdentity.isControlDomain(procCapabilities: procCapabilities))
    }

    package func listDomains() throws -> [DomainInfo] {
        var domains: [DomainInfo] = []
        var first: UInt32 = 0
        var batch = [xc_domaininfo_t](repeating: xc_domaininfo_t(), count: Int(Self.listBatch))
        while first < DomID.firstReserved {
            let answer = call { xch in
                batch.withUnsafeMutableBufferPointer {
                    xc_domain_getinfolist(xch, first, Self.listBatch, $0.baseAddress)
                }
            }
            guard answer.result >= 0 else {
                throw HypervisorError(operation: "xc_domain_getinfolist", errno: answer.errno)
            }
            let got = batch.prefix(Int(answer.result))
            domains += got.compactMap(Self.domainInfo)
            guard answer.result == Int32(Self.listBatch), let last = got.last else { break }
            first = UInt32(last.domain) + 1
        }
        return domains
    }

    /// One entry of `xc_domain_getinfolist`, or `nil` for reserved ids (never listed, but not trusted either).
    static func domainInfo(_ info: xc_domaininfo_t) -> DomainInfo? {
        guard let domid = DomID(UInt32(info.domain)) else { return nil }
        var copy = info
        let kind: DomainInfo.Kind =
            switch sshm_domaininfo_kind(&copy) {
            case Int32(SSHM_DOMAIN_PV.rawValue): .pv
            case Int32(SSHM_DOMAIN_PVH.rawValue): .pvh
            case Int32(SSHM_DOMAIN_HVM.rawValue): .hvm
            default: .unknown
            }
        return DomainInfo(
            domid: domid, uuid: XenIdentity.uuid(handle: info.handle),
            isDying: info.flags & UInt32(XEN_DOMINF_dying) != 0,
            isShutdown: info.flags & UInt32(XEN_DOMINF_shutdown) != 0, kind: kind)
    }

    package func addToPhysmapBatch(
        borrower: DomID, owner: DomID, space: MapSpace, ownerGFN: UInt64, borrowerGFN: UInt64, count: Int
    ) throws -> [Int32] {
        let operation = "xc_domain_add_to_physmap_batch"
        guard count >= 1, count <= Page.maxBatch else {
            // The hypercall's size field is 16 bits: a larger count would silently map count mod 65536 pages.
            throw HypervisorError(
                code: .invalid, operation: operation, errno: EINVAL, borrower: borrower, owner: owner,
                hint: "\(count) pages in one call; the executor must split batches at \(Page.maxBatch)")
        }
        let gfns = borrowerGFN...(borrowerGFN + UInt64(count) - 1)
        var idxs = (0..<UInt64(count)).map { xen_ulong_t(ownerGFN + $0) }
        var gpfns = (0..<UInt64(count)).map { xen_pfn_t(borrowerGFN + $0) }
        // Written by Xen when the call returns 0, and read only then (see ``PhysmapBatch``).
        var errs = [Int32](repeating: 0, count: count)
        let answer = call { xch in
            idxs.withUnsafeMutableBufferPointer { idxs in
                gpfns.withUnsafeMutableBufferPointer { gpfns in
                    errs.withUnsafeMutableBufferPointer { errs in
                        xc_domain_add_to_physmap_batch(
                            xch, borrower.rawValue, owner.rawValue, space.xenValue, UInt32(count), idxs.baseAddress,
                            gpfns.baseAddress, errs.baseAddress)
                    }
                }
            }
        }
        return try PhysmapBatch.interpret(
            rc: answer.result, errno: answer.errno, errs: errs, borrower: borrower, owner: owner, borrowerGFNs: gfns)
    }

    package func removeFromPhysmap(borrower: DomID, gfn: UInt64) throws -> Bool {
        let answer = call { xc_domain_remove_from_physmap($0, borrower.rawValue, xen_pfn_t(gfn)) }
        if answer.result == 0 { return true }
        if answer.errno == ENOENT { return false }
        throw HypervisorError(
            operation: "xc_domain_remove_from_physmap", errno: answer.errno, borrower: borrower, gfns: gfn...gfn)
    }
}

/// ``EventChannels``: the status of any domain's port.
extension LibXenCtrl {
    package func eventChannelStatus(domain: DomID, port: UInt32) throws -> EventChannelStatus {
        var state: UInt32 = 0
        var remote: UInt32 = 0
        var remotePort: UInt32 = 0
        let answer = call { sshm_evtchn_status($0, domain.rawValue, port, &state, &remote, &remotePort) }
        guard answer.result == 0 else {
            throw HypervisorError(operation: "xc_evtchn_status", errno: answer.errno, domain: domain, port: port)
        }
        return Self.eventChannelStatus(state: state, remote: remote, remotePort: remotePort)
    }

    /// `evtchn_status_t` as the port's value: `EVTCHNSTAT_*` and, for unbound and interdomain, the remote end.
    static func eventChannelStatus(state: UInt32, remote: UInt32, remotePort: UInt32) -> EventChannelStatus {
        switch Int32(bitPattern: state) {
        case EVTCHNSTAT_closed: .closed
        case EVTCHNSTAT_unbound: .unbound(remote: DomID(unchecked: remote))
        case EVTCHNSTAT_interdomain: .interdomain(remote: DomID(unchecked: remote), remotePort: remotePort)
        case EVTCHNSTAT_pirq: .other("pirq")
        case EVTCHNSTAT_virq: .other("virq")
        case EVTCHNSTAT_ipi: .other("ipi")
        default: .other("status \(state)")
        }
    }
}
