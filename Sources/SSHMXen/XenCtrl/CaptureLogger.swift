import CXenCtrl

/// The xentoollog logger handed to libxenctrl: it keeps the last warning or error instead of printing it to stderr,
/// so that a host without Xen gets one clear error from us rather than libxencall's own line first.
///
/// Owned by ``LibXenCtrl``, which frees it after closing the interface that logs into it.
final class CaptureLogger {
    private let storage: UnsafeMutablePointer<sshm_capture_logger>

    init() {
        storage = UnsafeMutablePointer<sshm_capture_logger>.allocate(capacity: 1)
        sshm_capture_logger_init(storage)
    }

    deinit {
        storage.deinitialize(count: 1)
        storage.deallocate()
    }

    /// The pointer libxenctrl logs through; valid while this object lives.
    var logger: UnsafeMutablePointer<xentoollog_logger> { sshm_capture_logger_base(storage) }

    /// The last message of level warning or above, e.g.
    /// `xencall: Could not obtain handle on privileged command interface`.
    var lastMessage: String? {
        let text = XenIdentity.string(fromCharArray: storage.pointee.last)
        return text.isEmpty ? nil : text
    }

    /// The errno libxenctrl attached to the last message, if any.
    var lastErrno: Int32? { storage.pointee.last_errno > 0 ? storage.pointee.last_errno : nil }
}
