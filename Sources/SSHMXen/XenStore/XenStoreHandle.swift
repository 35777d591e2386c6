import CXenStore
import SSHMReconcile

#if canImport(Glibc)
    import Glibc
#endif

/// The one owner of a libxenstore `xs_handle`: opened by ``open(socketPath:flags:)``, closed (`xs_close`) in
/// `deinit`.
///
/// `@unchecked Sendable`: libxenstore serialises requests on a handle itself, and the adapters only use their handles
/// under their own locks.
final class XenStoreHandle: @unchecked Sendable {
    let raw: OpaquePointer

    private init(raw: OpaquePointer) { self.raw = raw }

    deinit { xs_close(raw) }

    /// `xs_open` for the daemon at `socketPath` (`nil`: wherever the environment points).
    /// - Throws: ``XenStoreError`` `.unavailable` naming `xs_open` and the socket when the daemon cannot be reached.
    static func open(socketPath: String?, flags: UInt = 0) throws(XenStoreError) -> XenStoreHandle {
        let (raw, error) = try XenStoreSocket.withEnvironment(socketPath: socketPath) { () -> (OpaquePointer?, Int32) in
            let raw = xs_open(flags)
            return (raw, errno)
        }
        guard let raw else {
            let socket = (try? XenStoreSocket.daemonSocket(socketPath: socketPath)).map { XenStorePath($0) }
            throw XenStoreError(code: .unavailable, operation: "xs_open", path: socket, errno: error)
        }
        return XenStoreHandle(raw: raw)
    }
}

/// Whether an errno from libxenstore means the connection is gone: libxenstore closes its fd after a transport error
/// (a daemon that went away, or an oversized reply from oxenstored) and every later call fails with EBADF.
func isDeadConnection(_ errno: Int32) -> Bool {
    switch errno {
    case EBADF, EPIPE, ECONNRESET, ENOTCONN, ESHUTDOWN, ECONNABORTED: true
    default: false
    }
}

/// Copies a libxenstore `char **` list (one allocation holding pointers and strings) and frees it.
func takeStringList(_ list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, count: UInt32) -> [String] {
    defer { free(list) }
    return (0..<Int(count)).compactMap { index in list[index].map { String(cString: $0) } }
}

/// Copies a libxenstore value buffer and frees it.
func takeValue(_ buffer: UnsafeMutableRawPointer, length: UInt32) -> String {
    defer { free(buffer) }
    return String(decoding: UnsafeRawBufferPointer(start: buffer, count: Int(length)), as: UTF8.self)
}
