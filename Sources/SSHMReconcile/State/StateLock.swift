#if canImport(Glibc)
    import Glibc
#endif

/// `flock` on `<state-dir>/lock`: one `apply` or `daemon` at a time per state directory.
package final class StateLock {
    package enum Failure: Error, Equatable, CustomStringConvertible {
        /// Another process holds the lock.
        case held(path: String)
        case failed(path: String, errno: Int32)

        package var description: String {
            switch self {
            case .held(let path): "another sshm-reconcile apply or daemon holds \(path); try again when it is done"
            case .failed(let path, let errno): "cannot lock \(path): \(String(cString: strerror(errno)))"
            }
        }
    }

    package let path: String
    private let fd: Int32

    /// Takes the lock without waiting, creating the directory and the file as needed.
    package init(directory: String) throws(Failure) {
        path = directory + "/lock"
        if mkdir(directory, 0o755) != 0 && errno != EEXIST { throw .failed(path: directory, errno: errno) }
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .failed(path: path, errno: errno) }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let error = errno
            if error == EINTR { continue }
            close(fd)
            throw error == EWOULDBLOCK ? .held(path: path) : .failed(path: path, errno: error)
        }
    }

    deinit { close(fd) }
}
