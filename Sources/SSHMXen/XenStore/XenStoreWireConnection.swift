import CXenStore
import SSHMReconcile

#if canImport(Glibc)
    import Glibc
#endif

/// A short-lived connection that speaks the xenstore wire protocol itself, for the one request libxenstore 4.17
/// cannot survive: a directory listing longer than 4096 bytes.
///
/// The C xenstored answers such a listing with E2BIG and pages it with `XS_DIRECTORY_PART`. oxenstored has no
/// `XS_DIRECTORY_PART` (ENOSYS) and sends the whole list in one reply over the 4096-byte payload limit, which
/// libxenstore rejects by closing its connection. This connection accepts replies of any size up to
/// ``maxReplyLength`` and pages when the daemon asks for it, so it lists large directories on both daemons.
struct XenStoreWireConnection: ~Copyable {
    /// Largest reply accepted: far above any directory this tool lists (10,000 region ids of 128 bytes are 1.3 MB).
    static let maxReplyLength = 64 << 20

    private let fd: Int32
    private let socketPath: String

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
        self.socketPath = socketPath
    }

    deinit { close(fd) }

    /// Lists `path`'s children. Returns `nil` if the node does not exist.
    func directory(_ path: XenStorePath) throws -> [String]? {
        let reply = try request(XS_DIRECTORY, payload: Self.nulTerminated(path.rawValue), path: path)
        switch reply {
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
        let operation = type == XS_DIRECTORY ? "XS_DIRECTORY" : "XS_DIRECTORY_PART"
        var header = xsd_sockmsg(type: type.rawValue, req_id: 0, tx_id: 0, len: UInt32(payload.count))
        try withUnsafeBytes(of: &header) { try writeAll($0, operation: operation, path: path) }
        try payload.withUnsafeBytes { try writeAll($0, operation: operation, path: path) }

        var reply = xsd_sockmsg()
        try withUnsafeMutableBytes(of: &reply) { try readAll($0, operation: operation, path: path) }
        guard Int(reply.len) <= Self.maxReplyLength else {
            throw XenStoreError(code: .quotaExceeded, operation: operation, path: path, errno: E2BIG)
        }
        var body = [UInt8](repeating: 0, count: Int(reply.len))
        try body.withUnsafeMutableBytes { try readAll($0, operation: operation, path: path) }
        if reply.type == XS_ERROR.rawValue {
            let name = String(decoding: body.prefix { $0 != 0 }, as: UTF8.self)
            return .failure(XenStoreError(operation: operation, path: path, errno: Self.errnoValue(named: name)))
        }
        guard reply.type == type.rawValue else {
            throw XenStoreError(code: .other, operation: operation, path: path, errno: EPROTO)
        }
        return .success(body)
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

    /// NUL-terminated names, as xenstore lists them.
    private static func strings(in bytes: ArraySlice<UInt8>) -> [String] {
        bytes.split(separator: 0, omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The errno for an error name of the wire protocol (`xsd_errors`); oxenstored also sends `EQUOTA`.
    private static func errnoValue(named name: String) -> Int32 {
        let known: [String: Int32] = [
            "EINVAL": EINVAL, "EACCES": EACCES, "EEXIST": EEXIST, "EISDIR": EISDIR, "ENOENT": ENOENT,
            "ENOMEM": ENOMEM, "ENOSPC": ENOSPC, "EIO": EIO, "ENOTEMPTY": ENOTEMPTY, "ENOSYS": ENOSYS,
            "EROFS": EROFS, "EBUSY": EBUSY, "EAGAIN": EAGAIN, "EISCONN": EISCONN, "E2BIG": E2BIG, "EPERM": EPERM,
            "EQUOTA": EDQUOT,
        ]
        return known[name] ?? EINVAL
    }
}
