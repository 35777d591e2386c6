import SSHMCore

#if canImport(Glibc)
    import Glibc
#endif

/// A failed xenstore operation: which operation, on which path, and the errno the library reported.
package struct XenStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    package enum Code: Hashable, Sendable {
        /// EAGAIN at commit: another writer changed what the transaction touched. Retriable.
        case conflict
        /// ENOENT from an operation that needs the node (e.g. setting permissions of a missing node). Reads and
        /// listings report absence as `nil` instead.
        case notFound
        /// EACCES/EPERM.
        case permissionDenied
        /// ENOSPC/EDQUOT/E2BIG, or a quota of the daemon.
        case quotaExceeded
        /// EINVAL: a malformed path or value.
        case invalidArgument
        /// The daemon cannot be reached, or the connection died (ECONNREFUSED, EBADF, EPIPE, ECONNRESET, EIO; any
        /// failure to open a connection, ENOENT for a missing socket included). Retriable after reconnecting.
        case unavailable
        /// EBUSY/ETIMEDOUT and friends.
        case busy
        case other
    }

    package var code: Code
    /// The operation, named after the libxenstore call (`xs_read`, `xs_transaction_end`, …).
    package var operation: String
    package var path: XenStorePath?
    package var errno: Int32

    package init(code: Code, operation: String, path: XenStorePath?, errno: Int32) {
        self.code = code
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    /// Classifies an errno the way this tool reacts to it.
    package init(operation: String, path: XenStorePath?, errno: Int32) {
        self.init(code: Self.code(for: errno), operation: operation, path: path, errno: errno)
    }

    package static func code(for errno: Int32) -> Code {
        switch errno {
        case EAGAIN: .conflict
        case EACCES, EPERM: .permissionDenied
        case ENOSPC, EDQUOT, E2BIG, EMLINK: .quotaExceeded
        case EINVAL, ENAMETOOLONG: .invalidArgument
        case ENOENT: .notFound
        case ECONNREFUSED, EBADF, EPIPE, ECONNRESET, EIO, ENOTCONN, ESHUTDOWN: .unavailable
        case EBUSY, ETIMEDOUT, EINTR: .busy
        default: .other
        }
    }

    /// Worth trying again: a conflict, a busy daemon, or a connection that a reconnect may restore.
    package var isRetriable: Bool {
        switch code {
        case .conflict, .busy, .unavailable: true
        case .notFound, .permissionDenied, .quotaExceeded, .invalidArgument, .other: false
        }
    }

    /// Runs `body` and separates its outcome: xenstore going away is rethrown (the pass cannot go on), any other
    /// error is returned for the region it concerns. The one place the engine tells the two apart.
    package static func separatingOutage<T>(_ body: () throws -> T) throws(XenStoreError) -> Result<T, any Error> {
        do {
            return .success(try body())
        } catch let error as XenStoreError where error.code == .unavailable {
            throw error
        } catch {
            return .failure(error)
        }
    }

    package var description: String {
        let target = path.map { " \($0)" } ?? ""
        let reason: String
        switch code {
        case .conflict: reason = "transaction conflict, another writer got in first (EAGAIN)"
        case .unavailable where errno == ETIMEDOUT:
            reason = "xenstored did not answer in time (\(SystemErrno(errno))); is it running, and not stopped?"
        case .unavailable: reason = "xenstore is not reachable: \(SystemErrno(errno)); is xenstored running?"
        default: reason = "\(SystemErrno(errno))"
        }
        return "\(operation)\(target): \(reason)"
    }
}
