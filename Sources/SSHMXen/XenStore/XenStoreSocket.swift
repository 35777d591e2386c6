import CXenStore
import SSHMReconcile
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where libxenstore connects, and the one lock under which this process touches `XENSTORED_PATH`.
///
/// `xs_open` takes no path: it reads `XENSTORED_PATH` (else `XENSTORED_RUNDIR`/socket, else
/// `/var/run/xenstored/socket`) from the environment. Opening a handle for a given daemon therefore means setting the
/// variable, opening, and restoring it; every open in the process does that under this lock, including opens that
/// leave the variable alone, so that no thread reads another thread's temporary value.
enum XenStoreSocket {
    private static let environmentLock = Mutex(())

    /// Runs `body` with `XENSTORED_PATH` set to `socketPath` (left as it is when `nil`), then restores the variable.
    static func withEnvironment<T>(socketPath: String?, _ body: () -> T) throws(XenStoreError) -> T {
        try environmentLock.withLock { _ throws(XenStoreError) -> T in
            guard let socketPath else { return body() }
            let saved = getenv("XENSTORED_PATH").map { String(cString: $0) }
            guard setenv("XENSTORED_PATH", socketPath, 1) == 0 else {
                throw XenStoreError(code: .other, operation: "setenv(XENSTORED_PATH)", path: nil, errno: errno)
            }
            let result = body()
            // Restoring can only fail for lack of memory; the variable then keeps our socket path, which the next
            // open under this lock overwrites anyway.
            if let saved {
                _ = setenv("XENSTORED_PATH", saved, 1)
            } else {
                _ = unsetenv("XENSTORED_PATH")
            }
            return result
        }
    }

    /// The unix socket libxenstore would connect to for `socketPath` (`nil`: from the environment, as `xs_open`).
    static func daemonSocket(socketPath: String?) throws(XenStoreError) -> String {
        if let socketPath { return socketPath }
        return try withEnvironment(socketPath: nil) { String(cString: xs_daemon_socket()) }
    }

    /// Whether `path` names a unix socket (as opposed to the xenbus device or nothing).
    static func isSocket(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK
    }
}
