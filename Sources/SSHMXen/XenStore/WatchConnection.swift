import CXenStore
import Logging
import Metrics
import SSHMReconcile
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The watch side of ``LibXenStore``: a connection of its own and one thread that turns watch events into an
/// `AsyncStream`.
///
/// On the daemon's unix socket the connection speaks the wire protocol itself (``XenStoreWireConnection``): the thread
/// `poll`s the socket and takes every event that has arrived in one read, so a burst (a commit fires an event per node
/// it wrote, the daemon's own included) costs one wake-up. On the xenbus device (a guest, no socket) it is a
/// libxenstore handle, whose reader thread queues the events: the thread `poll`s the handle's watch fd (`xs_fileno`)
/// and drains `xs_check_watch`. A separate connection either way, so that requests never wait behind events. Opened
/// lazily: one-shot commands never watch.
///
/// The thread also `poll`s an eventfd that wakes it for shutdown. libxenstore's reader thread closes its connection
/// silently when the daemon goes away, so the thread also wakes every ``livenessInterval`` (and when the request side
/// saw a dead connection): `xs_check_watch` failing with anything but EAGAIN, or the socket's end of file, means the
/// connection is gone. A lost connection is logged once (a warning; then "restored"), counted in
/// `sshm_reconcile_watcher_restarts_total{watcher="xenstore"}`, reopened with backoff and every watch registered
/// again; each fires once on registration, which tells consumers to resync (the daemon reads everything again:
/// events may have been missed meanwhile). The thread ends only at ``close()``.
final class WatchConnection: Sendable {
    struct Registration: Hashable {
        var path: String
        var token: String
    }

    /// What carries the watches.
    private enum Transport {
        /// The daemon's unix socket, spoken directly.
        case wire(XenStoreWireConnection)
        /// A libxenstore handle and `xs_fileno` of it: the read end of libxenstore's watch pipe.
        case library(XenStoreHandle, watchFD: Int32)

        var pollFD: Int32 {
            switch self {
            case .wire(let connection): connection.fileDescriptor
            case .library(_, let watchFD): watchFD
            }
        }
    }

    private struct State {
        var transport: Transport?
        var registrations: [Registration] = []
        var wakeFD: Int32 = -1
        var thread: pthread_t?
        var isClosed = false
        var isLost = false
    }

    static let livenessInterval: Duration = .milliseconds(500)
    static let reconnectDelays: ClosedRange<Duration> = .milliseconds(10)...(.seconds(1))

    let events: AsyncStream<XenStoreWatchEvent>
    private let continuation: AsyncStream<XenStoreWatchEvent>.Continuation
    /// The transport is not thread-safe: it is only used under this lock.
    private let state = Mutex(State())
    private let socketPath: String?
    /// The daemon's unix socket, when there is one: the wire protocol is spoken there.
    private let wireSocket: String?
    private let replyDeadline: Duration
    private let logger: Logger
    private let restartCounter = Counter(
        label: "sshm_reconcile_watcher_restarts_total", dimensions: [("watcher", "xenstore")])

    /// Watches on the daemon at `socketPath` (`nil`: where the environment points): over the wire protocol on
    /// `wireSocket`, else through libxenstore.
    init(socketPath: String?, wireSocket: String?, replyDeadline: Duration, logger: Logger) {
        (events, continuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        self.socketPath = socketPath
        self.wireSocket = wireSocket
        self.replyDeadline = replyDeadline
        self.logger = logger
    }

    deinit {
        // close() ran (the thread holds a reference until it returns); only the fds may be left.
        state.withLock { state in
            if state.wakeFD >= 0 { Glibc.close(state.wakeFD) }
        }
    }

    /// Registers a watch (`xs_watch`), connecting and starting the thread on first use. A dead connection is
    /// reopened, its watches re-registered, and the call retried once.
    func watch(_ path: XenStorePath, token: String) throws {
        let registration = Registration(path: path.rawValue, token: token)
        try state.withLock { state throws(XenStoreError) in
            guard !state.isClosed else { throw Self.closedError("xs_watch", path) }
            if state.thread == nil { try start(&state) }
            var retried = false
            while true {
                if state.transport == nil { try reconnect(&state) }
                guard let transport = state.transport else { throw Self.closedError("xs_watch", path) }
                do throws(XenStoreError) {
                    try Self.register(registration, on: transport)
                    if !state.registrations.contains(registration) { state.registrations.append(registration) }
                    return
                } catch  where error.code == .unavailable && !retried {
                    lose(&state, errno: error.errno)
                    retried = true
                }
            }
        }
    }

    /// Removes a watch (`xs_unwatch`). Events already queued for it are filtered out (`XS_UNWATCH_FILTER`).
    func unwatch(_ path: XenStorePath, token: String) throws {
        let registration = Registration(path: path.rawValue, token: token)
        try state.withLock { state throws(XenStoreError) in
            state.registrations.removeAll { $0 == registration }
            do throws(XenStoreError) {
                switch state.transport {
                case nil: return
                case .wire(let connection)?:
                    try Self.typed("xs_unwatch", path) { try connection.unwatch(path, token: token) }
                case .library(let handle, _)?:
                    if xs_unwatch(handle.raw, path.rawValue, token) { return }
                    let error = errno
                    throw XenStoreError(code: Self.code(error), operation: "xs_unwatch", path: path, errno: error)
                }
            } catch  where error.code == .unavailable {
                // The watch is gone with the connection; it will not be registered again.
                lose(&state, errno: error.errno)
                wake(state)
            }
        }
    }

    /// Asks the thread to check its connection now (the request handle just saw a dead one).
    func checkConnection() {
        state.withLock { wake($0) }
    }

    /// Stops the thread, closes the handle and finishes ``events``. Idempotent.
    func close() {
        let thread = state.withLock { state -> pthread_t? in
            state.isClosed = true
            wake(state)
            defer { state.thread = nil }
            return state.thread
        }
        if let thread { _ = pthread_join(thread, nil) }
        state.withLock { state in
            drop(&state)
            if state.wakeFD >= 0 {
                Glibc.close(state.wakeFD)
                state.wakeFD = -1
            }
        }
        continuation.finish()
    }

    // MARK: - The thread

    private func start(_ state: inout State) throws(XenStoreError) {
        let wakeFD = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        guard wakeFD >= 0 else { throw XenStoreError(code: .other, operation: "eventfd", path: nil, errno: errno) }
        state.wakeFD = wakeFD
        var thread = pthread_t()
        // The thread owns one reference until it returns, so `self` outlives it.
        let context = Unmanaged.passRetained(self)
        let result = pthread_create(
            &thread, nil,
            { context in
                guard let context else { return nil }
                Unmanaged<WatchConnection>.fromOpaque(context).takeRetainedValue().run()
                return nil
            }, context.toOpaque())
        guard result == 0 else {
            context.release()
            throw XenStoreError(code: .other, operation: "pthread_create", path: nil, errno: result)
        }
        state.thread = thread
    }

    private func run() {
        var delay = Self.reconnectDelays.lowerBound
        var pollDelay = Self.reconnectDelays.lowerBound
        while true {
            let (wakeFD, watchFD, hasWatches, isClosed) = state.withLock {
                ($0.wakeFD, $0.transport?.pollFD ?? -1, !$0.registrations.isEmpty, $0.isClosed)
            }
            let isConnected = watchFD >= 0
            if isClosed { return }
            // Connected: wake now and then to notice a silent disconnect. Disconnected: retry with backoff, unless
            // nothing is watched, then sleep until woken.
            let timeout: Int32
            if isConnected {
                timeout = Self.milliseconds(Self.livenessInterval)
            } else {
                timeout = hasWatches ? Self.milliseconds(delay) : -1
            }
            var fds = [
                pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: watchFD, events: Int16(POLLIN), revents: 0),
            ]
            if poll(&fds, nfds_t(fds.count), timeout) < 0, errno != EINTR {
                // Out of memory, most likely. Ending the thread would leave the daemon deaf: try again after a while.
                let error = errno
                if pollDelay == Self.reconnectDelays.lowerBound {
                    logger.error(
                        "poll on the xenstore watch connection failed; retrying", metadata: ["errno": "\(error)"])
                }
                Self.sleep(pollDelay)
                pollDelay = min(pollDelay * 2, Self.reconnectDelays.upperBound)
                continue
            }
            pollDelay = Self.reconnectDelays.lowerBound
            if fds[0].revents != 0 {
                var counter: UInt64 = 0
                _ = read(wakeFD, &counter, MemoryLayout<UInt64>.size)
            }
            let reconnected = state.withLock { state -> Bool? in
                if state.isClosed { return nil }
                if state.transport != nil { drain(&state) }
                guard state.transport == nil, !state.registrations.isEmpty else { return true }
                do {
                    try reconnect(&state)
                    return true
                } catch {
                    logger.debug("xenstore watch connection still down", metadata: ["error": "\(error)"])
                    return false
                }
            }
            switch reconnected {
            case nil: return
            case true?: delay = Self.reconnectDelays.lowerBound
            case false?: delay = min(delay * 2, Self.reconnectDelays.upperBound)
            }
        }
    }

    /// Yields every event that has arrived; notices a dead connection.
    private func drain(_ state: inout State) {
        switch state.transport {
        case nil: return
        case .wire(let connection)?:
            do {
                try Self.typed("XS_WATCH_EVENT", nil) { try connection.takeWatchEvents() }
            } catch {
                lose(&state, errno: error.errno)
            }
        case .library(let handle, _)?:
            while true {
                guard let event = xs_check_watch(handle.raw) else {
                    let error = errno
                    if error != EAGAIN { lose(&state, errno: error) }
                    return
                }
                let path = event[Int(XS_WATCH_PATH.rawValue)].map { String(cString: $0) }
                let token = event[Int(XS_WATCH_TOKEN.rawValue)].map { String(cString: $0) }
                free(event)
                if let path, let token { continuation.yield(XenStoreWatchEvent(path: path, token: token)) }
            }
        }
    }

    /// A connection to the daemon: the wire protocol where there is a socket, else libxenstore.
    private func connect() throws(XenStoreError) -> Transport {
        if let wireSocket {
            let connection = try Self.typed("connect", XenStorePath(wireSocket)) {
                try XenStoreWireConnection(socketPath: wireSocket, replyDeadline: replyDeadline)
            }
            connection.watchEventHandler = { [continuation] path, token in
                continuation.yield(XenStoreWatchEvent(path: path, token: token))
            }
            return .wire(connection)
        }
        let handle = try XenStoreHandle.open(socketPath: socketPath, flags: UInt(XS_UNWATCH_FILTER))
        let watchFD = xs_fileno(handle.raw)
        guard watchFD >= 0 else { throw XenStoreError(code: .other, operation: "xs_fileno", path: nil, errno: errno) }
        return .library(handle, watchFD: watchFD)
    }

    /// Registers one watch on `transport`.
    private static func register(_ registration: Registration, on transport: Transport) throws(XenStoreError) {
        let path = XenStorePath(registration.path)
        switch transport {
        case .wire(let connection):
            try typed("xs_watch", path) { try connection.watch(path, token: registration.token) }
        case .library(let handle, _):
            guard xs_watch(handle.raw, registration.path, registration.token) else {
                let error = errno
                throw XenStoreError(code: code(error), operation: "xs_watch", path: path, errno: error)
            }
        }
    }

    /// Opens a fresh connection and registers every watch on it.
    private func reconnect(_ state: inout State) throws(XenStoreError) {
        let wasLost = state.isLost
        drop(&state)
        let transport: Transport
        do {
            transport = try connect()
            for registration in state.registrations { try Self.register(registration, on: transport) }
        } catch {
            state.isLost = wasLost || !state.registrations.isEmpty
            throw error
        }
        state.transport = transport
        if wasLost {
            logger.info(
                "xenstore watch connection restored", metadata: ["xenstore.watches": "\(state.registrations.count)"])
        }
        state.isLost = false
    }

    /// The connection died: logged and counted once (it is down until ``reconnect(_:)`` succeeds), then dropped.
    private func lose(_ state: inout State, errno error: Int32) {
        guard state.transport != nil else { return }
        logger.warning(
            "xenstore watch connection lost; reconnecting with backoff, then its watches fire once",
            metadata: ["xenstore.errno": "\(error)", "xenstore.watches": "\(state.registrations.count)"])
        restartCounter.increment()
        drop(&state)
    }

    private func drop(_ state: inout State) {
        if state.transport != nil { state.isLost = true }
        state.transport = nil
    }

    private func wake(_ state: State) {
        guard state.wakeFD >= 0 else { return }
        var one: UInt64 = 1
        // EAGAIN means the counter is already non-zero: the thread wakes anyway.
        _ = write(state.wakeFD, &one, MemoryLayout<UInt64>.size)
    }

    /// Blocks the watch thread (its own, never a task's) for `duration`.
    private static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    private static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }

    private static func code(_ error: Int32) -> XenStoreError.Code {
        isDeadConnection(error) ? .unavailable : XenStoreError.code(for: error)
    }

    /// Runs a call of ``XenStoreWireConnection``, which throws only ``XenStoreError``, with that type.
    private static func typed<T>(
        _ operation: String, _ path: XenStorePath?, _ body: () throws -> T
    ) throws(XenStoreError) -> T {
        do {
            return try body()
        } catch let error as XenStoreError {
            throw error
        } catch {
            throw XenStoreError(code: .other, operation: operation, path: path, errno: EIO)
        }
    }

    private static func closedError(_ operation: String, _ path: XenStorePath) -> XenStoreError {
        XenStoreError(code: .unavailable, operation: operation, path: path, errno: EBADF)
    }
}
