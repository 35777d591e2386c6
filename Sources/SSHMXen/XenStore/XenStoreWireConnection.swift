import CXenStore
import SSHMReconcile

#if canImport(Glibc)
    import Glibc
#endif

/// A connection that speaks the xenstore wire protocol itself, for what libxenstore 4.17 cannot do: survive a
/// directory listing longer than 4096 bytes, and send many reads without waiting for each answer.
///
/// The C xenstored answers such a listing with E2BIG and pages it with `XS_DIRECTORY_PART`. oxenstored has no
/// `XS_DIRECTORY_PART` (ENOSYS) and sends the whole list in one reply over the 4096-byte payload limit, which
/// libxenstore rejects by closing its connection. This connection accepts replies of any size up to
/// ``maxReplyLength`` and pages when the daemon asks for it, so it lists large directories on both daemons.
///
/// One owner closes the socket (`deinit`). After any thrown error the connection may hold unread replies: drop it.
final class XenStoreWireConnection {
    /// Largest reply accepted: far above any directory this tool lists (10,000 region ids of 128 bytes are 1.3 MB).
    static let maxReplyLength = 64 << 20
    /// Most requests ``readMany(_:)`` has in flight: below oxenstored's `quota-maxoutstanding` (1024), past which it
    /// stops reading a connection until its replies are taken (the C daemon has no such limit for sockets).
    static let window = 128
    /// Most bytes of requests in flight: well inside a unix socket's send buffer (~200 KB), so that writing a window
    /// never waits for the daemon to answer, even with long paths.
    static let windowBytes = 64 << 10

    private let fd: Int32

    /// Connects to the daemon's unix socket.
    init(socketPath: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Self.error("socket", socketPath, errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard socketPath.utf8.count < capacity else {
            close(fd)
            throw Self.error("connect", socketPath, ENAMETOOLONG)
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
            throw Self.error("connect", socketPath, error)
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Lists `path`'s children. Returns `nil` if the node does not exist.
    func directory(_ path: XenStorePath) throws -> [String]? {
        switch try request(XS_DIRECTORY, payload: Self.nulTerminated(path.rawValue), path: path) {
        case .success(let body):
            return Self.strings(in: body[...])
        case .failure(let error) where error.errno == ENOENT:
            return nil
        case .failure(let error) where error.errno == E2BIG:
            return try directoryInParts(path)
        case .failure(let error):
            throw error
        }
    }

    /// Sends the queries a window at a time, each window in one write, and reads the answers as they come.
    func readMany(_ queries: [XenStoreQuery]) throws -> [XenStoreAnswer] {
        var answers: [XenStoreAnswer] = []
        answers.reserveCapacity(queries.count)
        var start = queries.startIndex
        while start < queries.endIndex {
            var bytes: [UInt8] = []
            var end = start
            while end < queries.endIndex, end - start < Self.window, end == start || bytes.count < Self.windowBytes {
                let query = queries[end]
                bytes += Self.message(
                    Self.type(of: query), requestID: UInt32(end - start), payload: query.path.rawValue)
                end += 1
            }
            let window = queries[start..<end]
            try bytes.withUnsafeBytes {
                try writeAll($0, operation: Self.name(of: Self.type(of: queries[start])), path: queries[start].path)
            }
            // A listing too long for one reply is paged once the window's replies are all read.
            var paged: [Int] = []
            for (requestID, query) in zip(UInt32(0)..., window) {
                let type = Self.type(of: query)
                let operation = Self.name(of: type)
                let (header, body) = try receive(operation: operation, path: query.path)
                guard header.req_id == requestID, header.type == type.rawValue || header.type == XS_ERROR.rawValue
                else { throw XenStoreError(code: .other, operation: operation, path: query.path, errno: EPROTO) }
                let error = header.type == XS_ERROR.rawValue ? Self.errnoValue(in: body) : nil
                switch (query, error) {
                case (.read, nil): answers.append(.value(String(decoding: body, as: UTF8.self)))
                case (.directory, nil): answers.append(.children(Self.strings(in: body[...])))
                case (.read, ENOENT): answers.append(.value(nil))
                case (.directory, ENOENT): answers.append(.children(nil))
                case (.directory, E2BIG):
                    paged.append(answers.count)
                    answers.append(.children(nil))
                case (_, let error?): throw XenStoreError(operation: operation, path: query.path, errno: error)
                }
            }
            for index in paged { answers[index] = .children(try directory(queries[index].path)) }
            start = end
        }
        return answers
    }

    /// `XS_DIRECTORY_PART` paging, as libxenstore does it: each part starts with the node's generation; a changed
    /// generation means the directory changed meanwhile, so start over. The last part ends with an empty name.
    private func directoryInParts(_ path: XenStorePath) throws -> [String]? {
        var strings: [UInt8] = []
        var generation: ArraySlice<UInt8>?
        while true {
            let payload = Self.nulTerminated(path.rawValue) + Self.nulTerminated(String(strings.count))
            let body: [UInt8]
            switch try request(XS_DIRECTORY_PART, payload: payload, path: path) {
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

    /// Sends one request outside any transaction; the daemon's error reply comes back as a failure value.
    private func request(
        _ type: xsd_sockmsg_type, payload: [UInt8], path: XenStorePath
    ) throws -> Result<[UInt8], XenStoreError> {
        let operation = Self.name(of: type)
        var header = xsd_sockmsg(type: type.rawValue, req_id: 0, tx_id: 0, len: UInt32(payload.count))
        try withUnsafeBytes(of: &header) { try writeAll($0, operation: operation, path: path) }
        try payload.withUnsafeBytes { try writeAll($0, operation: operation, path: path) }
        let (reply, body) = try receive(operation: operation, path: path)
        if reply.type == XS_ERROR.rawValue {
            return .failure(XenStoreError(operation: operation, path: path, errno: Self.errnoValue(in: body)))
        }
        guard reply.type == type.rawValue else {
            throw XenStoreError(code: .other, operation: operation, path: path, errno: EPROTO)
        }
        return .success(body)
    }

    /// Reads one reply: its header and body.
    private func receive(operation: String, path: XenStorePath) throws -> (xsd_sockmsg, [UInt8]) {
        var reply = xsd_sockmsg()
        try withUnsafeMutableBytes(of: &reply) { try readAll($0, operation: operation, path: path) }
        guard Int(reply.len) <= Self.maxReplyLength else {
            throw XenStoreError(code: .quotaExceeded, operation: operation, path: path, errno: E2BIG)
        }
        var body = [UInt8](repeating: 0, count: Int(reply.len))
        try body.withUnsafeMutableBytes { try readAll($0, operation: operation, path: path) }
        return (reply, body)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer, operation: String, path: XenStorePath) throws {
        var offset = 0
        while offset < bytes.count {
            let written = send(fd, bytes.baseAddress.map { $0 + offset }, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if written < 0 {
                if errno == EINTR { continue }
                throw Self.error(operation, path.rawValue, errno)
            }
            offset += written
        }
    }

    private func readAll(_ bytes: UnsafeMutableRawBufferPointer, operation: String, path: XenStorePath) throws {
        var offset = 0
        while offset < bytes.count {
            let count = read(fd, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                throw Self.error(operation, path.rawValue, errno)
            }
            // The daemon hung up mid-reply.
            if count == 0 { throw Self.error(operation, path.rawValue, ECONNRESET) }
            offset += count
        }
    }

    private static func error(_ operation: String, _ path: String, _ errno: Int32) -> XenStoreError {
        XenStoreError(code: .unavailable, operation: operation, path: XenStorePath(path), errno: errno)
    }

    private static func nulTerminated(_ text: String) -> [UInt8] { Array(text.utf8) + [0] }

    /// A request outside any transaction whose payload is one NUL-terminated string.
    private static func message(_ type: xsd_sockmsg_type, requestID: UInt32, payload: String) -> [UInt8] {
        let body = nulTerminated(payload)
        let header = xsd_sockmsg(type: type.rawValue, req_id: requestID, tx_id: 0, len: UInt32(body.count))
        return withUnsafeBytes(of: header) { Array($0) } + body
    }

    private static func type(of query: XenStoreQuery) -> xsd_sockmsg_type {
        switch query {
        case .read: XS_READ
        case .directory: XS_DIRECTORY
        }
    }

    private static func name(of type: xsd_sockmsg_type) -> String {
        switch type {
        case XS_READ: "XS_READ"
        case XS_DIRECTORY: "XS_DIRECTORY"
        default: "XS_DIRECTORY_PART"
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
