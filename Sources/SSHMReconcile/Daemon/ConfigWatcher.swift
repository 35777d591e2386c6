import Logging
import SSHMCore

#if canImport(Glibc)
    import Glibc
#endif

/// Reports changes in the config directory through inotify: files created, written, renamed in or out (editors
/// and package managers replace files by rename), deleted, or their mode changed; and the directory itself going
/// away. A dedicated thread blocks in `poll`, so no cooperative thread waits and nothing polls on a timer.
package final class ConfigWatcher: @unchecked Sendable {
    // @unchecked: the fds are written once in init and closed once by stop(), after the thread has exited.
    private let inotify: Int32
    /// A pipe whose write end stop() writes to, to wake the thread out of poll.
    private let wake: Int32
    private let wakeWriter: Int32
    private var thread: pthread_t?
    private let onChange: @Sendable () -> Void

    /// Starts watching `directory`. A missing directory is watched from the next `start` (the caller retries at
    /// each resync).
    package init(directory: String, onChange: @escaping @Sendable () -> Void) throws {
        self.onChange = onChange
        inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard inotify >= 0 else { throw WatchError.inotify(errno) }
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            close(inotify)
            throw WatchError.inotify(errno)
        }
        wake = ends[0]
        wakeWriter = ends[1]
        _ = fcntl(wake, F_SETFD, FD_CLOEXEC)
        _ = fcntl(wakeWriter, F_SETFD, FD_CLOEXEC)
        let mask =
            IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF
            | IN_MOVE_SELF
        if inotify_add_watch(inotify, directory, UInt32(mask)) < 0 {
            let error = errno
            close(inotify)
            close(wake)
            close(wakeWriter)
            throw WatchError.directory(directory, error)
        }
        let box = Unmanaged.passRetained(self)
        var handle = pthread_t()
        let created = pthread_create(
            &handle, nil,
            { argument in
                guard let argument else { return nil }
                let watcher = Unmanaged<ConfigWatcher>.fromOpaque(argument).takeRetainedValue()
                watcher.loop()
                return nil
            }, box.toOpaque())
        guard created == 0 else {
            box.release()
            close(inotify)
            close(wake)
            close(wakeWriter)
            throw WatchError.inotify(created)
        }
        thread = handle
    }

    package enum WatchError: Error, CustomStringConvertible {
        case inotify(Int32)
        case directory(String, Int32)

        package var description: String {
            switch self {
            case .inotify(let errno): "cannot start inotify: \(SystemErrno(errno))"
            case .directory(let path, let errno): "cannot watch \(path): \(SystemErrno(errno))"
            }
        }
    }

    private func loop() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            var fds = [
                pollfd(fd: inotify, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wake, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[1].revents != 0 { return }
            var changed = false
            while true {
                let count = buffer.withUnsafeMutableBytes { read(inotify, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                changed = true
            }
            if changed { onChange() }
        }
    }

    /// Stops the thread and closes the descriptors. Idempotent.
    package func stop() {
        guard let thread else { return }
        var one: UInt8 = 1
        _ = write(wakeWriter, &one, 1)
        pthread_join(thread, nil)
        self.thread = nil
        close(inotify)
        close(wake)
        close(wakeWriter)
    }
}
