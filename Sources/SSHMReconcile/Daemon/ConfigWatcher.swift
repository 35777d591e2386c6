import Logging
import SSHMCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Reports changes in the config directory through inotify: files created, written, renamed in or out (editors
/// and package managers replace files by rename), deleted, or their mode changed. A dedicated thread blocks in
/// `poll`, so no cooperative thread waits and nothing polls on a timer.
///
/// A watcher that stops working (its descriptor broken, the directory gone) says so once through `onFailure` and
/// ends its thread; ``ConfigWatchSupervisor`` starts a new one.
package final class ConfigWatcher: Sendable {
    package enum WatchError: Error, Equatable, CustomStringConvertible {
        case inotify(Int32)
        case directory(String, Int32)
        /// The directory was removed or moved away: its watch is gone.
        case directoryGone(String)
        /// `poll` or `read` failed on the inotify descriptor (it was closed or replaced).
        case broken(Int32)

        package var description: String {
            switch self {
            case .inotify(let errno): "cannot start inotify: \(SystemErrno(errno))"
            case .directory(let path, let errno): "cannot watch \(path): \(SystemErrno(errno))"
            case .directoryGone(let path): "\(path) was removed or moved away"
            case .broken(let errno): "the inotify descriptor failed: \(SystemErrno(errno))"
            }
        }
    }

    /// The inotify descriptor (tests break it to see the watcher come back).
    package let descriptor: Int32
    private let directory: String
    /// A pipe whose write end stop() writes to, to wake the thread out of poll.
    private let wake: Int32
    private let wakeWriter: Int32
    /// The thread, until stop() joined it. Behind a lock: stop() may run on any thread.
    private let thread = Mutex<pthread_t?>(nil)
    private let onChange: @Sendable () -> Void
    private let onFailure: @Sendable (WatchError) -> Void

    /// Starts watching `directory`.
    package init(
        directory: String, onChange: @escaping @Sendable () -> Void,
        onFailure: @escaping @Sendable (WatchError) -> Void = { _ in }
    ) throws(WatchError) {
        self.directory = directory
        self.onChange = onChange
        self.onFailure = onFailure
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { throw .inotify(errno) }
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            let error = errno
            close(descriptor)
            throw .inotify(error)
        }
        wake = ends[0]
        wakeWriter = ends[1]
        guard fcntl(wake, F_SETFD, FD_CLOEXEC) == 0, fcntl(wakeWriter, F_SETFD, FD_CLOEXEC) == 0 else {
            let error = errno
            closeDescriptors()
            throw .inotify(error)
        }
        let mask =
            IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF
            | IN_MOVE_SELF
        if inotify_add_watch(descriptor, directory, UInt32(mask)) < 0 {
            let error = errno
            closeDescriptors()
            throw .directory(directory, error)
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
            closeDescriptors()
            throw .inotify(created)
        }
        thread.withLock { $0 = handle }
    }

    private func loop() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            var fds = [
                pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wake, events: Int16(POLLIN), revents: 0),
            ]
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                return onFailure(.broken(errno))
            }
            if fds[1].revents != 0 { return }
            if fds[0].revents & Int16(POLLNVAL | POLLERR | POLLHUP) != 0 { return onFailure(.broken(EBADF)) }
            var changed = false
            var gone = false
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    changed = true
                    gone = gone || Self.endsTheWatch(buffer[..<count])
                    continue
                }
                // inotify never reads as end-of-file: the descriptor is not ours any more.
                if count == 0 { return onFailure(.broken(EBADF)) }
                if errno == EAGAIN || errno == EINTR { break }
                return onFailure(.broken(errno))
            }
            if changed { onChange() }
            if gone { return onFailure(.directoryGone(directory)) }
        }
    }

    /// Whether the events in `bytes` include `IN_IGNORED`: the kernel dropped the watch (the directory went).
    private static func endsTheWatch(_ bytes: ArraySlice<UInt8>) -> Bool {
        let header = MemoryLayout<inotify_event>.size
        var offset = bytes.startIndex
        while offset + header <= bytes.endIndex {
            let (mask, length) = bytes[offset..<offset + header].withUnsafeBytes {
                ($0.load(fromByteOffset: 4, as: UInt32.self), $0.load(fromByteOffset: 12, as: UInt32.self))
            }
            if mask & UInt32(IN_IGNORED) != 0 { return true }
            offset += header + Int(length)
        }
        return false
    }

    /// Stops the thread and closes the descriptors. Idempotent, from any thread.
    package func stop() {
        guard let handle = thread.withLock({ $0.take() }) else { return }
        var one: UInt8 = 1
        _ = write(wakeWriter, &one, 1)
        pthread_join(handle, nil)
        closeDescriptors()
    }

    private func closeDescriptors() {
        close(descriptor)
        close(wake)
        close(wakeWriter)
    }
}
