import CXenCtrl
import Logging
import SSHMCore
import SSHMReconcile
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// dom0's own event-channel ports through libxenevtchn (`/dev/xen/evtchn`): what `selftest hypervisor` uses to
/// check ``LibXenCtrl``'s `xc_evtchn_status` on real Xen, with channels that loop back inside dom0. The product
/// itself only reads the guests' ports. Every port this handle bound is closed with it.
package final class LibXenEvtchn: EventChannelGuest, @unchecked Sendable {
    // @unchecked: the handle and the logger are used only under `lock`, and freed only in deinit.
    private let xce: OpaquePointer
    private let capture: CaptureLogger
    private let lock = Mutex(())
    private let logger: Logger
    package let domain: DomID

    private init(xce: OpaquePointer, capture: CaptureLogger, domain: DomID, logger: Logger) {
        self.xce = xce
        self.capture = capture
        self.domain = domain
        self.logger = logger
    }

    deinit {
        if xenevtchn_close(xce) != 0 {
            logger.debug("xenevtchn_close failed", metadata: ["errno": "\(errno)"])
        }
    }

    /// Opens `/dev/xen/evtchn` for `domain`, the domain this process runs in.
    /// - Throws: ``HypervisorError`` with code `.unavailable` and what to check.
    package static func open(domain: DomID, logger: Logger) throws(HypervisorError) -> LibXenEvtchn {
        let capture = CaptureLogger()
        errno = 0
        guard let xce = xenevtchn_open(capture.logger, 0) else {
            let callErrno = errno != 0 ? errno : (capture.lastErrno ?? ENOENT)
            let said = capture.lastMessage.map { "libxenevtchn said \"\($0)\": " } ?? ""
            throw HypervisorError(
                code: .unavailable, operation: "xenevtchn_open", errno: callErrno,
                hint: said + "run as root on a Xen host with /dev/xen/evtchn present (modprobe xen-evtchn)",
                domain: domain)
        }
        return LibXenEvtchn(xce: xce, capture: capture, domain: domain, logger: logger)
    }

    /// Runs one call under the lock with `errno` cleared; returns its result, or throws its errno about `domain`'s
    /// `port`.
    private func call(_ operation: String, domain: DomID, port: UInt32?, _ body: (OpaquePointer) -> Int32) throws
        -> UInt32
    {
        let (result, callErrno) = lock.withLock { _ in
            errno = 0
            let result = body(xce)
            return (result, errno)
        }
        guard result >= 0 else {
            throw HypervisorError(operation: operation, errno: callErrno, domain: domain, port: port)
        }
        return UInt32(result)
    }

    package func allocateUnbound(remote: DomID) throws -> UInt32 {
        try call("xenevtchn_bind_unbound_port", domain: domain, port: nil) {
            xenevtchn_bind_unbound_port($0, remote.rawValue)
        }
    }

    package func bindInterdomain(remote: DomID, remotePort: UInt32) throws -> UInt32 {
        try call("xenevtchn_bind_interdomain", domain: remote, port: remotePort) {
            xenevtchn_bind_interdomain($0, remote.rawValue, remotePort)
        }
    }

    package func close(port: UInt32) throws {
        _ = try call("xenevtchn_unbind", domain: domain, port: port) { xenevtchn_unbind($0, port) }
    }
}
