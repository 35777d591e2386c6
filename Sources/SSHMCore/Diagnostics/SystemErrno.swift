#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The errno of a failed system call, named: every message that reports one is worded by this type, as
/// `Permission denied (EACCES, errno 13)` (docs/design.md, "Outcomes"). The texts are glibc's `strerror` texts, held
/// in a table because `strerror` is not thread-safe and the symbolic name is not in libc at all.
package struct SystemErrno: Hashable, Sendable, CustomStringConvertible {
    package var rawValue: Int32

    package init(_ rawValue: Int32) { self.rawValue = rawValue }

    /// The errno named `name` (`EACCES`, any case), if the table holds it.
    package init?(named name: String) {
        let symbol = name.uppercased()
        guard let value = (1...Int32(133)).first(where: { Self.known($0)?.name == symbol }) else { return nil }
        self.rawValue = value
    }

    /// The symbol, e.g. `EACCES`; `errno N` for a number the table does not hold.
    package var name: String { Self.known(rawValue)?.name ?? "errno \(rawValue)" }

    /// What `strerror` says, e.g. `Permission denied`; `Unknown error N` (glibc's wording) for the rest.
    package var reason: String { Self.known(rawValue)?.reason ?? "Unknown error \(rawValue)" }

    /// `Permission denied (EACCES, errno 13)`; `Unknown error 200 (errno 200)`. Keeps `errno N)` at the end so
    /// that a search for the number still finds it.
    package var description: String {
        guard let known = Self.known(rawValue) else { return "\(reason) (errno \(rawValue))" }
        return "\(known.reason) (\(known.name), errno \(rawValue))"
    }

    /// The errnos Linux defines that a file, socket, inotify, xenstore or hypercall can give this tool. Aliases
    /// (EWOULDBLOCK, EDEADLOCK, ENOTSUP) share a number with the name listed here.
    private static func known(_ value: Int32) -> (name: String, reason: String)? {
        switch value {
        case EPERM: ("EPERM", "Operation not permitted")
        case ENOENT: ("ENOENT", "No such file or directory")
        case ESRCH: ("ESRCH", "No such process")
        case EINTR: ("EINTR", "Interrupted system call")
        case EIO: ("EIO", "Input/output error")
        case ENXIO: ("ENXIO", "No such device or address")
        case E2BIG: ("E2BIG", "Argument list too long")
        case ENOEXEC: ("ENOEXEC", "Exec format error")
        case EBADF: ("EBADF", "Bad file descriptor")
        case ECHILD: ("ECHILD", "No child processes")
        case EAGAIN: ("EAGAIN", "Resource temporarily unavailable")
        case ENOMEM: ("ENOMEM", "Cannot allocate memory")
        case EACCES: ("EACCES", "Permission denied")
        case EFAULT: ("EFAULT", "Bad address")
        case EBUSY: ("EBUSY", "Device or resource busy")
        case EEXIST: ("EEXIST", "File exists")
        case EXDEV: ("EXDEV", "Invalid cross-device link")
        case ENODEV: ("ENODEV", "No such device")
        case ENOTDIR: ("ENOTDIR", "Not a directory")
        case EISDIR: ("EISDIR", "Is a directory")
        case EINVAL: ("EINVAL", "Invalid argument")
        case ENFILE: ("ENFILE", "Too many open files in system")
        case EMFILE: ("EMFILE", "Too many open files")
        case ENOTTY: ("ENOTTY", "Inappropriate ioctl for device")
        case ETXTBSY: ("ETXTBSY", "Text file busy")
        case EFBIG: ("EFBIG", "File too large")
        case ENOSPC: ("ENOSPC", "No space left on device")
        case ESPIPE: ("ESPIPE", "Illegal seek")
        case EROFS: ("EROFS", "Read-only file system")
        case EMLINK: ("EMLINK", "Too many links")
        case EPIPE: ("EPIPE", "Broken pipe")
        case EDOM: ("EDOM", "Numerical argument out of domain")
        case ERANGE: ("ERANGE", "Numerical result out of range")
        case EDEADLK: ("EDEADLK", "Resource deadlock avoided")
        case ENAMETOOLONG: ("ENAMETOOLONG", "File name too long")
        case ENOLCK: ("ENOLCK", "No locks available")
        case ENOSYS: ("ENOSYS", "Function not implemented")
        case ENOTEMPTY: ("ENOTEMPTY", "Directory not empty")
        case ELOOP: ("ELOOP", "Too many levels of symbolic links")
        case ENOMSG: ("ENOMSG", "No message of desired type")
        case EIDRM: ("EIDRM", "Identifier removed")
        case ENODATA: ("ENODATA", "No data available")
        case ETIME: ("ETIME", "Timer expired")
        case EPROTO: ("EPROTO", "Protocol error")
        case EBADMSG: ("EBADMSG", "Bad message")
        case EOVERFLOW: ("EOVERFLOW", "Value too large for defined data type")
        case EILSEQ: ("EILSEQ", "Invalid or incomplete multibyte or wide character")
        case ENOTSOCK: ("ENOTSOCK", "Socket operation on non-socket")
        case EMSGSIZE: ("EMSGSIZE", "Message too long")
        case EPROTONOSUPPORT: ("EPROTONOSUPPORT", "Protocol not supported")
        case EOPNOTSUPP: ("EOPNOTSUPP", "Operation not supported")
        case EADDRINUSE: ("EADDRINUSE", "Address already in use")
        case EADDRNOTAVAIL: ("EADDRNOTAVAIL", "Cannot assign requested address")
        case ENETDOWN: ("ENETDOWN", "Network is down")
        case ENETUNREACH: ("ENETUNREACH", "Network is unreachable")
        case ECONNABORTED: ("ECONNABORTED", "Software caused connection abort")
        case ECONNRESET: ("ECONNRESET", "Connection reset by peer")
        case ENOBUFS: ("ENOBUFS", "No buffer space available")
        case EISCONN: ("EISCONN", "Transport endpoint is already connected")
        case ENOTCONN: ("ENOTCONN", "Transport endpoint is not connected")
        case ESHUTDOWN: ("ESHUTDOWN", "Cannot send after transport endpoint shutdown")
        case ETIMEDOUT: ("ETIMEDOUT", "Connection timed out")
        case ECONNREFUSED: ("ECONNREFUSED", "Connection refused")
        case EHOSTUNREACH: ("EHOSTUNREACH", "No route to host")
        case EALREADY: ("EALREADY", "Operation already in progress")
        case EINPROGRESS: ("EINPROGRESS", "Operation now in progress")
        case ESTALE: ("ESTALE", "Stale file handle")
        case EDQUOT: ("EDQUOT", "Disk quota exceeded")
        case ECANCELED: ("ECANCELED", "Operation canceled")
        case EOWNERDEAD: ("EOWNERDEAD", "Owner died")
        case ENOTRECOVERABLE: ("ENOTRECOVERABLE", "State not recoverable")
        default: nil
        }
    }
}
