import SSHMCore

#if canImport(Glibc)
    import Glibc
#endif

/// `flock` on `<state-dir>/lock`: one `apply` or `daemon` at a time per state directory. The holder writes who it is
/// into the file, so that the one turned away can say what to do: wait for an `apply`, reload the daemon.
package final class StateLock {
    /// Who holds the lock.
    package enum Holder: String, Sendable {
        case apply
        case daemon
    }

    package enum Failure: Error, Equatable, CustomStringConvertible {
        /// Another process holds the lock; `holder` and `pid` as it wrote them, when it did.
        case held(path: String, holder: Holder?, pid: Int32?)
        case failed(path: String, errno: Int32)

        package var description: String {
            switch self {
            case .held(let path, .daemon, let pid):
                "the sshm-reconcile daemon\(pid.map { " (pid \($0))" } ?? "") holds \(path) and applies every "
                    + "change itself; to make it re-read the manifests now, run: systemctl reload sshm-reconcile"
            case .held(let path, .apply, let pid):
                "another sshm-reconcile apply\(pid.map { " (pid \($0))" } ?? "") holds \(path); "
                    + "try again when it is done"
            case .held(let path, nil, _):
                "another sshm-reconcile apply or daemon holds \(path); try again when an apply is done, or run "
                    + "systemctl reload sshm-reconcile if the daemon runs"
            case .failed(let path, let errno): "cannot lock \(path): \(SystemErrno(errno))"
            }
        }
    }

    package let path: String
    private let fd: Int32

    /// Takes the lock without waiting, creating the directory and the file as needed, and writes `holder` and
    /// this process's pid into it.
    package init(directory: String, holder: Holder) throws(Failure) {
        path = directory + "/lock"
        if mkdir(directory, 0o755) != 0 && errno != EEXIST { throw .failed(path: directory, errno: errno) }
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .failed(path: path, errno: errno) }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let error = errno
            if error == EINTR { continue }
            let (holder, pid) = Self.holder(fd)
            close(fd)
            throw error == EWOULDBLOCK ? .held(path: path, holder: holder, pid: pid) : .failed(path: path, errno: error)
        }
        // Only a message depends on it: a failed write leaves the next one turned away with the generic sentence.
        let text = Array("\(holder.rawValue) \(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 { _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } }
    }

    deinit { close(fd) }

    /// `apply 1234` or `daemon 1234`, as the holder wrote it; bounded, and anything else reads as unknown.
    private static func holder(_ fd: Int32) -> (Holder?, Int32?) {
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return (nil, nil) }
        let words = String(decoding: buffer[..<count], as: UTF8.self).split(whereSeparator: \.isWhitespace)
        guard words.count == 2, let holder = Holder(rawValue: String(words[0])) else { return (nil, nil) }
        return (holder, Int32(words[1]))
    }
}
