import CXenStore
import SSHMReconcile

#if canImport(Glibc)
    import Glibc
#endif

/// A connection that speaks the xenstore wire protocol itself, for what libxenstore 4.17 cannot do: survive a
/// directory listing longer than 4096 bytes, send many requests without waiting for each answer (reads outside
/// transactions, and a transaction's writes), and take a burst of watch events in one read, without a reader thread
/// (``takeWatchEvents()``).
///
/// The C xenstored answers such a listing with E2BIG and pages it with `XS_DIRECTORY_PART`. oxenstored has no
/// `XS_DIRECTORY_PART` (ENOSYS) and sends the whole list in one reply over the 4096-byte payload limit, which
/// libxenstore rejects by closing its connection. This connection accepts replies of any size up to
/// ``maxReplyLength`` and pages when the daemon asks for it, so it lists large directories on both daemons.
///
/// One owner closes the socket (`deinit`). Every request has an id of its own on this connection and every reply
/// must carry the id of the oldest request not answered yet: a reply to another request is a broken connection, never
/// a reply to this one. Every wait has a bound (``replyDeadline``): a daemon that stops answering, or a reply that
/// never comes, ends the call with `.unavailable` (ETIMEDOUT) naming the request and its path, never a hang. After
/// such an error the connection may hold replies still to come: ``isUsable`` turns false and every later call throws
/// `.unavailable`, so its owner drops it. An error reply of the daemon leaves it usable (every reply of what was sent
/// is read before the error is thrown).
final class XenStoreWireConnection {
    /// A request that changes the store, as a transaction sends it: its reply carries nothing but success or an
    /// error, so that many can go out before the first answer is read.
    enum Mutation: Hashable, Sendable {
        case write(XenStorePath, String)
        case mkdir(XenStorePath)
        case remove(XenStorePath)
        case setPermissions(XenStorePath, [XenStorePermission])

        var path: XenStorePath {
            switch self {
            case .write(let path, _), .mkdir(let path), .remove(let path), .setPermissions(let path, _): path
            }
        }

        /// Removing a missing node is not an error.
        func failsHarmlessly(_ errno: Int32) -> Bool {
            if case .remove = self { errno == ENOENT } else { false }
        }

        fileprivate var type: xsd_sockmsg_type {
            switch self {
            case .write: XS_WRITE
            case .mkdir: XS_MKDIR
            case .remove: XS_RM
            case .setPermissions: XS_SET_PERMS
            }
        }

        /// `path NUL value` for a write (no NUL after the value), `path NUL (perm NUL)*` for permissions.
        fileprivate var payload: [UInt8] {
            switch self {
            case .write(let path, let value): XenStoreWireConnection.nulTerminated(path.rawValue) + Array(value.utf8)
            case .mkdir(let path), .remove(let path): XenStoreWireConnection.nulTerminated(path.rawValue)
            case .setPermissions(let path, let permissions):
                XenStoreWireConnection.nulTerminated(path.rawValue)
                    + permissions.flatMap { XenStoreWireConnection.nulTerminated($0.description) }
            }
        }
    }

    /// Largest request payload the daemons take (`XENSTORE_PAYLOAD_MAX`); libxenstore refuses a larger one itself
    /// with E2BIG, and so does this connection, before sending anything.
    static let maxPayloadLength = 4096

    /// Largest reply accepted: far above any directory this tool lists (10,000 region ids of 128 bytes are 1.3 MB).
    static let maxReplyLength = 64 << 20
    /// Most requests in flight (``readMany(_:)``, a transaction's changes): below oxenstored's
    /// `quota-maxoutstanding` (1024), past which it stops reading a connection until its replies are taken (the C
    /// daemon has no such limit for sockets).
    static let window = 128
    /// Most bytes of requests in flight: well inside a unix socket's send buffer (~200 KB), so that writing a window
    /// never waits for the daemon to answer, even with long paths.
    static let windowBytes = 64 << 10

    /// Longest wait for the daemon: for each reply (from the moment its request is sent or the previous reply came)
    /// and for room in the socket to send.
    let replyDeadline: Duration
    /// False once an error may have left replies unread or a request half sent: the connection is then useless.
    private(set) var isUsable = true
    /// Where the watch events this connection reads go (path, token), in the order the daemon sent them: set on a
    /// connection that registers watches (``watch(_:token:)``). On any other connection an event is a broken
    /// protocol.
    var watchEventHandler: ((String, String) -> Void)?
    /// The id the next request gets; ids wrap, and at most ``window`` are in flight, so no two in flight match.
    private var nextRequestID: UInt32 = 0

    private let fd: Int32
    /// Bytes read from the socket and not yet taken, `received[start..<end]`: replies are read as many as have
    /// arrived per system call, not two calls (header, body) each.
    private var received = [UInt8](repeating: 0, count: XenStoreWireConnection.readSize)
    private var start = 0
    private var end = 0
    /// What one read asks the socket for.
    private static let readSize = 64 << 10
    private static let headerSize = MemoryLayout<xsd_sockmsg>.size

    /// Connects to the daemon's unix socket.
    init(socketPath: String, replyDeadline: Duration) throws {
        self.replyDeadline = replyDeadline
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Self.error("socket", XenStorePath(socketPath), errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard socketPath.utf8.count < capacity else {
            close(fd)
            throw Self.error("connect", XenStorePath(socketPath), ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: socketPath.utf8)
            buffer[socketPath.utf8.count] = 0
        }
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            let error = errno
            close(fd)
            throw Self.error("connect", XenStorePath(socketPath), error)
        }
        // The kernel bounds each blocking read and send (one system call each, as without a bound); `fill` and
        // `writeAll` bound the whole reply and the whole request.
        var timeout = timeval(
            tv_sec: Int(replyDeadline.components.seconds),
            tv_usec: Int(replyDeadline.components.attoseconds / 1_000_000_000_000))
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            guard setsockopt(fd, SOL_SOCKET, option, &timeout, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
                let error = errno
                close(fd)
                throw Self.error("setsockopt", XenStorePath(socketPath), error)
            }
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Lists `path`'s children outside any transaction. Returns `nil` if the node does not exist.
    func directory(_ path: XenStorePath) throws -> [String]? {
        try readMany([.directory(path)]).first?.children
    }

    /// Starts a transaction on this connection. Returns its id, valid only here.
    func startTransaction() throws -> UInt32 {
        switch try request(XS_TRANSACTION_START, payload: [0], path: nil, tx: 0) {
        case .success(let body):
            guard let id = UInt32(String(decoding: body.prefix { $0 != 0 }, as: UTF8.self)), id != 0 else {
                throw XenStoreError(code: .other, operation: "XS_TRANSACTION_START", path: nil, errno: EPROTO)
            }
            return id
        case .failure(let error): throw error
        }
    }

    /// Commits (`commit`) or abandons transaction `tx`. A conflicting commit throws `.conflict`; either way the
    /// transaction is over. Never sent together with the transaction's changes: a commit must not go out before
    /// every change is known to have succeeded.
    func endTransaction(_ tx: UInt32, commit: Bool) throws {
        let payload = Self.nulTerminated(commit ? "T" : "F")
        if case .failure(let error) = try request(XS_TRANSACTION_END, payload: payload, path: nil, tx: tx) {
            throw error
        }
    }

    /// Registers a watch (`XS_WATCH`); its first event may come before the reply, and goes to
    /// ``watchEventHandler`` like every other.
    func watch(_ path: XenStorePath, token: String) throws {
        let payload = Self.nulTerminated(path.rawValue) + Self.nulTerminated(token)
        if case .failure(let error) = try request(XS_WATCH, payload: payload, path: path, tx: 0) { throw error }
    }

    /// Removes a watch (`XS_UNWATCH`). Its events read before the reply are dropped, as libxenstore's
    /// `XS_UNWATCH_FILTER` drops those it queued.
    func unwatch(_ path: XenStorePath, token: String) throws {
        let deliver = watchEventHandler
        defer { watchEventHandler = deliver }
        watchEventHandler = { eventPath, eventToken in
            let isUnwatched =
                eventToken == token
                && (eventPath == path.rawValue || eventPath.hasPrefix(path.rawValue + "/"))
            if !isUnwatched { deliver?(eventPath, eventToken) }
        }
        let payload = Self.nulTerminated(path.rawValue) + Self.nulTerminated(token)
        if case .failure(let error) = try request(XS_UNWATCH, payload: payload, path: path, tx: 0) { throw error }
    }

    /// The socket, for `poll` by the thread that calls ``takeWatchEvents()``.
    var fileDescriptor: Int32 { fd }

    /// Hands every watch event that has arrived to ``watchEventHandler``, reading as many as the socket holds per
    /// system call and never waiting for more: one wake-up takes a whole burst (a transaction's commit fires an event
    /// per node it wrote). At most ``eventReads`` reads per call, so that a flood of events never keeps the caller
    /// here: what is left makes the socket readable again.
    /// - Throws: `.unavailable` when the daemon hung up or sent anything but an event; the connection is then
    ///   useless.
    func takeWatchEvents() throws {
        let operation = Self.eventOperation
        try checkUsable(XS_WATCH_EVENT, nil)
        do {
            for _ in 0..<Self.eventReads {
                try deliverBufferedEvents()
                makeRoom(for: Self.headerSize + Self.maxPayloadLength)
                let count = received.withUnsafeMutableBytes { buffer in
                    Glibc.recv(fd, buffer.baseAddress.map { $0 + end }, buffer.count - end, Int32(MSG_DONTWAIT))
                }
                if count < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN || errno == EWOULDBLOCK { return }
                    throw Self.error(operation, nil, errno)
                }
                if count == 0 { throw Self.error(operation, nil, ECONNRESET) }
                end += count
            }
            try deliverBufferedEvents()
        } catch {
            isUsable = false
            throw error
        }
    }

    /// Most reads of one ``takeWatchEvents()``: 1 MB of events.
    private static let eventReads = 16
    private static let eventOperation = "XS_WATCH_EVENT"

    /// Hands on every complete event buffered; anything but an event breaks the protocol.
    private func deliverBufferedEvents() throws {
        while end - start >= Self.headerSize {
            let header = bufferedHeader()
            try Self.checkEvent(header, operation: Self.eventOperation, path: nil)
            guard end - start >= Self.headerSize + Int(header.len) else { return }
            try deliverEvent(length: Int(header.len), operation: Self.eventOperation, path: nil)
        }
    }

    /// The header of the message at the front of the buffer, which holds at least a header's bytes.
    private func bufferedHeader() -> xsd_sockmsg {
        received.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: start, as: xsd_sockmsg.self) }
    }

    /// An event no longer than a request may be (the daemons send none longer); anything else breaks the protocol.
    private static func checkEvent(_ header: xsd_sockmsg, operation: String, path: XenStorePath?) throws {
        guard header.type == XS_WATCH_EVENT.rawValue, Int(header.len) <= maxPayloadLength else {
            throw error(operation, path, EPROTO)
        }
    }

    /// Takes the buffered event of `length` bytes (`path NUL token NUL`) and hands it on.
    private func deliverEvent(length: Int, operation: String, path: XenStorePath?) throws {
        let body = received[(start + Self.headerSize)..<(start + Self.headerSize + length)]
        start += Self.headerSize + length
        let fields = body.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count >= 2, let handler = watchEventHandler else {
            throw Self.error(operation, path, EPROTO)
        }
        handler(String(decoding: fields[0], as: UTF8.self), String(decoding: fields[1], as: UTF8.self))
    }

    /// Sends the mutations of transaction `tx` back to back, a window at a time, and checks every reply.
    /// - Throws: see ``readMany(_:tx:after:each:)``.
    func send(_ mutations: [Mutation], in tx: UInt32) throws {
        try readMany([], tx: tx, after: mutations) { _, _ in }
    }

    /// Sends `count` requests of transaction `tx` (0: none) back to back and reads every reply in order, keeping the
    /// window full: once half of it is answered, the next requests go out in one write, within ``window`` requests
    /// and ``windowBytes`` in flight (over only by the last one added, or by one alone when nothing is in flight), so
    /// that the daemon always has work while this side decodes. `head(i)` is request `i`'s type and the path its
    /// errors name, `payload(i, &bytes)` appends its payload, and `take(i, reply, body)` takes its reply and says
    /// whether to send more: after `false` only the replies already asked for are read (and taken), so that the
    /// connection stays usable. A reply `take` cannot make sense of (it throws) breaks the connection.
    ///
    /// Inlined into ``readMany(_:tx:after:each:)``, so that its closures are specialised there: called, it made a
    /// no-op pass 2–6 % slower in A/B runs than the loops it replaced.
    @inline(__always)
    private func pipeline(
        _ count: Int, tx: UInt32, head: (Int) -> (type: xsd_sockmsg_type, path: XenStorePath?),
        payload: (Int, inout [UInt8]) -> Void, take: (Int, xsd_sockmsg, [UInt8]) throws -> Bool
    ) throws {
        guard count > 0 else { return }
        let first = head(0)
        try checkUsable(first.type, first.path)
        let firstID = nextRequestID
        // The size of each request sent, to keep what is in flight within the socket's buffer.
        var sizes: [Int] = []
        sizes.reserveCapacity(count)
        var inFlightBytes = 0
        var received = 0
        var sending = true
        var bytes: [UInt8] = []
        while received < sizes.count || (sending && received < count) {
            if sending, sizes.count < count, sizes.count - received <= Self.window / 2 {
                let firstSent = head(sizes.count)
                bytes.removeAll(keepingCapacity: true)
                while sizes.count < count, sizes.count - received < Self.window,
                    inFlightBytes + bytes.count < Self.windowBytes || sizes.count == received
                {
                    let before = bytes.count
                    Self.appendMessage(head(sizes.count).type, requestID: takeRequestID(), tx: tx, to: &bytes) {
                        payload(sizes.count, &$0)
                    }
                    sizes.append(bytes.count - before)
                }
                inFlightBytes += bytes.count
                try bytes.withUnsafeBytes {
                    try writeAll($0, operation: Self.name(of: firstSent.type), path: firstSent.path)
                }
            }
            let (type, path) = head(received)
            let (header, body) = try receive(
                operation: Self.name(of: type), path: path,
                requestID: firstID &+ UInt32(truncatingIfNeeded: received), type: type)
            inFlightBytes -= sizes[received]
            received += 1
            do {
                if try !take(received - 1, header, body) { sending = false }
            } catch {
                isUsable = false
                throw error
            }
        }
    }

    /// ``readMany(_:tx:after:each:)``'s answers, in order.
    func readMany(_ queries: [XenStoreQuery], tx: UInt32 = 0, after mutations: [Mutation] = []) throws
        -> [XenStoreAnswer]
    {
        var answers: [XenStoreAnswer] = []
        answers.reserveCapacity(queries.count)
        try readMany(queries, tx: tx, after: mutations) { _, answer in answers.append(answer) }
        return answers
    }

    /// Sends `mutations` of transaction `tx` (0: none), then the queries, back to back, and reads the replies as they
    /// come, keeping the window full (``pipeline(_:tx:head:payload:take:)``), so that the daemon always has work while
    /// this side decodes. The daemon runs them in order, so the queries see the mutations: reads after a
    /// transaction's changes wait one round trip for both. Hands each answer to `each` with its query's index, in
    /// order, as soon as it is read, so that the caller's work on it overlaps the daemon's on the next ones.
    ///
    /// A listing too long for one reply (E2BIG) is paged once every reply is read: the answers from it on are held
    /// until then, so that `each` still sees them in order.
    /// - Throws: the first error reply other than a missing node (or a missing node to remove), with its path, once
    ///   the replies of what was sent are read: nothing is sent after it and nothing after it reaches `each`, and
    ///   the connection stays usable (to abort the transaction); E2BIG before sending anything when a payload is over
    ///   ``maxPayloadLength``; `.unavailable` when the connection broke.
    func readMany(
        _ queries: [XenStoreQuery], tx: UInt32 = 0, after mutations: [Mutation] = [],
        each: (Int, XenStoreAnswer) -> Void
    ) throws {
        let payloads = mutations.map(\.payload)
        for (mutation, payload) in zip(mutations, payloads) where payload.count > Self.maxPayloadLength {
            throw XenStoreError(
                code: .quotaExceeded, operation: Self.name(of: mutation), path: mutation.path, errno: E2BIG)
        }
        for query in queries where query.path.rawValue.utf8.count >= Self.maxPayloadLength {
            throw XenStoreError(code: .quotaExceeded, operation: Self.name(of: query), path: query.path, errno: E2BIG)
        }
        let changes = mutations.count
        // Indexes of the listings to page, and the answers held from the first of them on.
        var paged: [Int] = []
        var held: [XenStoreAnswer] = []
        var failure: XenStoreError?
        try pipeline(
            changes + queries.count, tx: tx,
            head: { request in
                request < changes
                    ? (mutations[request].type, mutations[request].path)
                    : (Self.type(of: queries[request - changes]), queries[request - changes].path)
            },
            payload: { request, bytes in
                guard request >= changes else { return bytes += payloads[request] }
                bytes += queries[request - changes].path.rawValue.utf8
                bytes.append(0)
            }
        ) { request, header, body in
            guard failure == nil else { return false }
            let error = header.type == XS_ERROR.rawValue ? Self.errnoValue(in: body) : nil
            guard request >= changes else {
                let mutation = mutations[request]
                if let error, !mutation.failsHarmlessly(error) {
                    failure = XenStoreError(operation: Self.name(of: mutation), path: mutation.path, errno: error)
                }
                return failure == nil
            }
            let index = request - changes
            let query = queries[index]
            let answer: XenStoreAnswer
            switch (query, error) {
            case (.read, nil): answer = .value(String(decoding: body, as: UTF8.self))
            case (.directory, nil): answer = .children(Self.strings(in: body[...]))
            case (.permissions, nil): answer = .permissions(try Self.permissions(in: body, path: query.path))
            case (.read, ENOENT): answer = .value(nil)
            case (.directory, ENOENT): answer = .children(nil)
            case (.permissions, ENOENT): answer = .permissions(nil)
            case (.directory, E2BIG):
                paged.append(index)
                answer = .children(nil)
            case (_, let error?):
                failure = XenStoreError(operation: Self.name(of: query), path: query.path, errno: error)
                return false
            }
            if paged.isEmpty { each(index, answer) } else { held.append(answer) }
            return true
        }
        if let failure { throw failure }
        guard let start = paged.first else { return }
        for index in paged { held[index - start] = .children(try directoryInParts(queries[index].path, tx: tx)) }
        for (offset, answer) in held.enumerated() { each(start + offset, answer) }
    }

    /// The permissions an `XS_GET_PERMS` reply lists, every one of them well-formed.
    private static func permissions(in body: [UInt8], path: XenStorePath) throws -> [XenStorePermission] {
        try body.split(separator: 0, omittingEmptySubsequences: true).map { entry in
            guard let permission = XenStorePermission(utf8: entry) else {
                throw XenStoreError(code: .other, operation: "XS_GET_PERMS", path: path, errno: EPROTO)
            }
            return permission
        }
    }

    /// `XS_DIRECTORY_PART` paging, as libxenstore does it: each part starts with the node's generation; a changed
    /// generation means the directory changed meanwhile, so start over. The last part ends with an empty name.
    private func directoryInParts(_ path: XenStorePath, tx: UInt32) throws -> [String]? {
        var strings: [UInt8] = []
        var generation: ArraySlice<UInt8>?
        while true {
            let payload = Self.nulTerminated(path.rawValue) + Self.nulTerminated(String(strings.count))
            let body: [UInt8]
            switch try request(XS_DIRECTORY_PART, payload: payload, path: path, tx: tx) {
            case .success(let reply): body = reply
            case .failure(let error) where error.errno == ENOENT: return nil
            case .failure(let error): throw error
            }
            guard let end = body.firstIndex(of: 0) else {
                throw XenStoreError(code: .other, operation: "XS_DIRECTORY_PART", path: path, errno: EPROTO)
            }
            let partGeneration = body[..<end]
            if let generation, generation != partGeneration {
                strings.removeAll()
                continue
            }
            generation = partGeneration
            strings += body[(end + 1)...]
            if strings.count <= 1 || strings[strings.count - 2] == 0 { break }
        }
        return Self.strings(in: strings.dropLast())
    }

    /// Sends one request in transaction `tx` (0: none) and waits for its reply; the daemon's error reply comes back
    /// as a failure value.
    private func request(
        _ type: xsd_sockmsg_type, payload: [UInt8], path: XenStorePath?, tx: UInt32
    ) throws -> Result<[UInt8], XenStoreError> {
        let operation = Self.name(of: type)
        guard payload.count <= Self.maxPayloadLength else {
            throw XenStoreError(code: .quotaExceeded, operation: operation, path: path, errno: E2BIG)
        }
        try checkUsable(type, path)
        let requestID = takeRequestID()
        var message: [UInt8] = []
        Self.appendMessage(type, requestID: requestID, tx: tx, to: &message) { $0 += payload }
        try message.withUnsafeBytes { try writeAll($0, operation: operation, path: path) }
        let (reply, body) = try receive(operation: operation, path: path, requestID: requestID, type: type)
        if reply.type == XS_ERROR.rawValue {
            return .failure(XenStoreError(operation: operation, path: path, errno: Self.errnoValue(in: body)))
        }
        return .success(body)
    }

    private func takeRequestID() -> UInt32 {
        defer { nextRequestID &+= 1 }
        return nextRequestID
    }

    /// Throws `.unavailable` once the connection is no longer usable.
    private func checkUsable(_ type: xsd_sockmsg_type, _ path: XenStorePath?) throws {
        guard isUsable else { throw Self.error(Self.name(of: type), path, ENOTCONN) }
    }

    /// Reads the reply to request `requestID` of `type`: its header and body. A reply to any other request, of
    /// another type, or too large breaks the connection (see ``isUsable``), as does running out of time.
    private func receive(
        operation: String, path: XenStorePath?, requestID: UInt32, type: xsd_sockmsg_type
    ) throws -> (xsd_sockmsg, [UInt8]) {
        do {
            let deadline = ContinuousClock.now + replyDeadline
            try fill(Self.headerSize, until: deadline, operation: operation, path: path)
            var reply = bufferedHeader()
            // Events come between replies, whenever a watch fires.
            while reply.type == XS_WATCH_EVENT.rawValue, watchEventHandler != nil {
                try Self.checkEvent(reply, operation: operation, path: path)
                try fill(Self.headerSize + Int(reply.len), until: deadline, operation: operation, path: path)
                try deliverEvent(length: Int(reply.len), operation: operation, path: path)
                try fill(Self.headerSize, until: deadline, operation: operation, path: path)
                reply = bufferedHeader()
            }
            guard reply.req_id == requestID, reply.type == type.rawValue || reply.type == XS_ERROR.rawValue else {
                throw XenStoreError(code: .unavailable, operation: operation, path: path, errno: EPROTO)
            }
            guard Int(reply.len) <= Self.maxReplyLength else {
                throw XenStoreError(code: .quotaExceeded, operation: operation, path: path, errno: E2BIG)
            }
            try fill(Self.headerSize + Int(reply.len), until: deadline, operation: operation, path: path)
            let body = Array(received[(start + Self.headerSize)..<(start + Self.headerSize + Int(reply.len))])
            start += Self.headerSize + Int(reply.len)
            return (reply, body)
        } catch {
            isUsable = false
            throw error
        }
    }

    /// Reads until `count` bytes are buffered, as many as the socket has each time, waiting no later than `deadline`.
    private func fill(
        _ count: Int, until deadline: ContinuousClock.Instant, operation: String, path: XenStorePath?
    ) throws {
        while end - start < count {
            guard ContinuousClock.now < deadline else { throw Self.error(operation, path, ETIMEDOUT) }
            makeRoom(for: count)
            let count = received.withUnsafeMutableBytes { buffer in
                Glibc.read(fd, buffer.baseAddress.map { $0 + end }, buffer.count - end)
            }
            if count < 0 {
                if errno == EINTR { continue }
                // SO_RCVTIMEO ran out.
                if errno == EAGAIN || errno == EWOULDBLOCK { throw Self.error(operation, path, ETIMEDOUT) }
                throw Self.error(operation, path, errno)
            }
            // The daemon hung up mid-reply.
            if count == 0 { throw Self.error(operation, path, ECONNRESET) }
            end += count
        }
    }

    /// Makes room behind what is buffered for a message of `count` bytes and a read's worth: when little is left,
    /// moves what is buffered to the front, and grows for a large reply.
    private func makeRoom(for count: Int) {
        guard received.count - start < count || received.count - end < Self.readSize / 4 else { return }
        received.removeSubrange(0..<start)
        end -= start
        start = 0
        let wanted = max(count, Self.readSize)
        if received.count < wanted { received += repeatElement(0, count: wanted - received.count) }
    }

    /// Sends all of `bytes`. Half a request on the wire would make the daemon read the next one as its rest, so any
    /// failure, running out of time included, breaks the connection.
    private func writeAll(_ bytes: UnsafeRawBufferPointer, operation: String, path: XenStorePath?) throws {
        let deadline = ContinuousClock.now + replyDeadline
        var offset = 0
        do {
            while offset < bytes.count {
                guard ContinuousClock.now < deadline else { throw Self.error(operation, path, ETIMEDOUT) }
                let written = Glibc.send(
                    fd, bytes.baseAddress.map { $0 + offset }, bytes.count - offset, Int32(MSG_NOSIGNAL))
                if written < 0 {
                    if errno == EINTR { continue }
                    // SO_SNDTIMEO ran out, with part of the request sent or none.
                    if errno == EAGAIN || errno == EWOULDBLOCK { throw Self.error(operation, path, ETIMEDOUT) }
                    throw Self.error(operation, path, errno)
                }
                offset += written
            }
        } catch {
            isUsable = false
            throw error
        }
    }

    private static func error(_ operation: String, _ path: XenStorePath?, _ errno: Int32) -> XenStoreError {
        XenStoreError(code: .unavailable, operation: operation, path: path, errno: errno)
    }

    fileprivate static func nulTerminated(_ text: String) -> [UInt8] { Array(text.utf8) + [0] }

    /// Appends a request to `bytes`: its header, then the payload `payload` appends, whose length the header then
    /// gets (encoded in place, with no array of its own).
    private static func appendMessage(
        _ type: xsd_sockmsg_type, requestID: UInt32, tx: UInt32, to bytes: inout [UInt8],
        payload: (inout [UInt8]) -> Void
    ) {
        let start = bytes.count
        withUnsafeBytes(of: xsd_sockmsg(type: type.rawValue, req_id: requestID, tx_id: tx, len: 0)) {
            bytes.append(contentsOf: $0)
        }
        payload(&bytes)
        let length = UInt32(bytes.count - start - headerSize)
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: length, toByteOffset: start + lengthOffset, as: UInt32.self) }
    }

    private static let lengthOffset = MemoryLayout<xsd_sockmsg>.offset(of: \.len) ?? 12

    private static func type(of query: XenStoreQuery) -> xsd_sockmsg_type {
        switch query {
        case .read: XS_READ
        case .directory: XS_DIRECTORY
        case .permissions: XS_GET_PERMS
        }
    }

    /// The request's name in the protocol, for errors.
    static func name(of mutation: Mutation) -> String { name(of: mutation.type) }

    /// The query's request name in the protocol, for errors.
    static func name(of query: XenStoreQuery) -> String { name(of: type(of: query)) }

    private static func name(of type: xsd_sockmsg_type) -> String {
        switch type {
        case XS_READ: "XS_READ"
        case XS_DIRECTORY: "XS_DIRECTORY"
        case XS_DIRECTORY_PART: "XS_DIRECTORY_PART"
        case XS_GET_PERMS: "XS_GET_PERMS"
        case XS_WRITE: "XS_WRITE"
        case XS_MKDIR: "XS_MKDIR"
        case XS_RM: "XS_RM"
        case XS_SET_PERMS: "XS_SET_PERMS"
        case XS_TRANSACTION_START: "XS_TRANSACTION_START"
        case XS_TRANSACTION_END: "XS_TRANSACTION_END"
        case XS_WATCH: "XS_WATCH"
        case XS_UNWATCH: "XS_UNWATCH"
        case XS_WATCH_EVENT: "XS_WATCH_EVENT"
        default: "XS_\(type.rawValue)"
        }
    }

    /// NUL-terminated names, as xenstore lists them.
    private static func strings(in bytes: ArraySlice<UInt8>) -> [String] {
        bytes.split(separator: 0, omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The errno an `XS_ERROR` reply names (`xsd_errors`); oxenstored also sends `EQUOTA`.
    private static func errnoValue(in body: [UInt8]) -> Int32 {
        let known: [String: Int32] = [
            "EINVAL": EINVAL, "EACCES": EACCES, "EEXIST": EEXIST, "EISDIR": EISDIR, "ENOENT": ENOENT,
            "ENOMEM": ENOMEM, "ENOSPC": ENOSPC, "EIO": EIO, "ENOTEMPTY": ENOTEMPTY, "ENOSYS": ENOSYS,
            "EROFS": EROFS, "EBUSY": EBUSY, "EAGAIN": EAGAIN, "EISCONN": EISCONN, "E2BIG": E2BIG, "EPERM": EPERM,
            "EQUOTA": EDQUOT,
        ]
        return known[String(decoding: body.prefix { $0 != 0 }, as: UTF8.self)] ?? EINVAL
    }
}
