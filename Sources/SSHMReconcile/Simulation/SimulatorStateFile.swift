import SSHMCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// The simulated hypervisor's memory on disk, so that it outlives the process like a real hypervisor's.
///
/// `PATH` holds a JSON snapshot (`{"version":1,"borrowers":[{"domid","uuid","extents":[…]}]}`), replaced
/// atomically (write + rename); `PATH.journal` gets one JSON line per hypercall, appended before the call returns,
/// so that a process killed right after a call still leaves it recorded. Opening replays the journal onto the
/// snapshot and folds it in. Every access holds `flock` on `PATH.lock`.
package final class SimulatorStateFile: Sendable {
    package let path: String
    private let lockFD: Int32
    private let journalFD: Int32

    /// Opens (creating as needed) the state at `path`; its directory must exist.
    package init(path: String) throws(HypervisorError) {
        self.path = path
        lockFD = try Self.open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC)
        do {
            journalFD = try Self.open(path + ".journal", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC)
        } catch {
            close(lockFD)
            throw error
        }
    }

    deinit {
        close(journalFD)
        close(lockFD)
    }

    static func open(_ path: String, _ flags: Int32) throws(HypervisorError) -> Int32 {
        let fd = Glibc.open(path, flags, 0o600)
        guard fd >= 0 else { throw failure("open \(path)", errno) }
        return fd
    }

    static func failure(_ operation: String, _ errno: Int32) -> HypervisorError {
        HypervisorError(code: .unavailable, operation: "simulated hypervisor state: \(operation)", errno: errno)
    }

    private func locked<T>(_ operation: Int32, _ body: () throws(HypervisorError) -> T) throws(HypervisorError) -> T {
        try Self.locked(lockFD, path: path + ".lock", operation, body)
    }

    /// Runs `body` holding `flock(operation)` on `fd`, the open lock file at `path`.
    static func locked<T>(_ fd: Int32, path: String, _ operation: Int32, _ body: () throws(HypervisorError) -> T)
        throws(HypervisorError) -> T
    {
        while flock(fd, operation) != 0 {
            guard errno == EINTR else { throw failure("flock \(path)", errno) }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    /// Loads snapshot + journal and folds the journal into a new snapshot, dropping the mappings of domains that
    /// are not in `alive` (when given): a dead domain's memory is gone.
    package func loadAndCompact(alive: Set<DomainKey>?) throws(HypervisorError) -> SimulatedMappings {
        try locked(LOCK_EX) { () throws(HypervisorError) -> SimulatedMappings in
            var mappings = try Self.read(path: path)
            if let alive { mappings.forget(allBut: alive) }
            try write(mappings)
            guard ftruncate(journalFD, 0) == 0 else { throw Self.failure("truncate \(path).journal", errno) }
            return mappings
        }
    }

    /// Records a map call that succeeded for `count` frames.
    package func appendMap(_ borrower: DomainKey, gfn: UInt64, count: UInt64, owner: DomID, ownerGFN: UInt64)
        throws(HypervisorError)
    {
        try append(
            "{\"op\":\"map\",\"domid\":\(borrower.domid),\"uuid\":\"\(borrower.uuid)\",\"gfn\":\(gfn),\"count\":\(count),"
                + "\"owner\":\(owner),\"ownerGFN\":\(ownerGFN)}\n")
    }

    /// Records unmapped frames (a line without `count` is one frame).
    package func appendUnmap(_ borrower: DomainKey, _ gfns: Range<UInt64>) throws(HypervisorError) {
        try append(
            "{\"op\":\"unmap\",\"domid\":\(borrower.domid),\"uuid\":\"\(borrower.uuid)\",\"gfn\":\(gfns.lowerBound),"
                + "\"count\":\(gfns.count)}\n")
    }

    private func append(_ line: String) throws(HypervisorError) {
        try locked(LOCK_EX) { () throws(HypervisorError) in
            var line = line
            let written = line.withUTF8 { Glibc.write(journalFD, $0.baseAddress, $0.count) }
            guard written == line.utf8.count else { throw Self.failure("append to \(path).journal", errno) }
        }
    }

    private func write(_ mappings: SimulatedMappings) throws(HypervisorError) {
        let snapshot = Snapshot(
            version: 1,
            borrowers: mappings.borrowers.keys.sorted().map { key in
                Snapshot.Borrower(
                    domid: key.domid.rawValue, uuid: key.uuid.rawValue,
                    extents: mappings.extents(of: key).map {
                        Snapshot.Extent(
                            gfn: $0.gfn, count: $0.count, owner: $0.page.owner.rawValue, ownerGFN: $0.page.ownerGFN)
                    })
            })
        try Self.write(snapshot, to: path)
    }

    /// Replaces the file at `path` with `value` as JSON (sorted keys), atomically (write + rename).
    static func write(_ value: some Encodable, to path: String) throws(HypervisorError) {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(value).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw failure("write \(path): \(error)", EIO)
        }
    }

    /// Reads the state as it is on disk (snapshot, then journal; a torn last line is ignored), without changing it.
    package static func read(path: String) throws(HypervisorError) -> SimulatedMappings {
        var mappings = SimulatedMappings()
        let decoder = JSONDecoder()
        if let data = FileManager.default.contents(atPath: path), !data.isEmpty {
            guard let snapshot = try? decoder.decode(Snapshot.self, from: data) else {
                throw failure("\(path) is not a simulator snapshot; move it away to start from nothing", EINVAL)
            }
            for borrower in snapshot.borrowers {
                guard let domid = DomID(borrower.domid), let uuid = DomainUUID(borrower.uuid) else { continue }
                for extent in borrower.extents {
                    guard let owner = DomID(extent.owner) else { continue }
                    mappings.map(
                        DomainKey(domid: domid, uuid: uuid), gfn: extent.gfn, count: extent.count, owner: owner,
                        ownerGFN: extent.ownerGFN)
                }
            }
        }
        guard let journal = FileManager.default.contents(atPath: path + ".journal") else { return mappings }
        for line in journal.split(separator: UInt8(ascii: "\n")) {
            guard let entry = try? decoder.decode(JournalEntry.self, from: Data(line)),
                let domid = DomID(entry.domid), let uuid = DomainUUID(entry.uuid)
            else { continue }
            let key = DomainKey(domid: domid, uuid: uuid)
            switch entry.op {
            case "map":
                guard let count = entry.count, let ownerValue = entry.owner, let owner = DomID(ownerValue),
                    let ownerGFN = entry.ownerGFN
                else { continue }
                mappings.map(key, gfn: entry.gfn, count: count, owner: owner, ownerGFN: ownerGFN)
            case "unmap":
                mappings.unmap(key, entry.gfn..<(entry.gfn + (entry.count ?? 1)))
            default:
                continue
            }
        }
        return mappings
    }

    private struct Snapshot: Codable {
        struct Extent: Codable {
            var gfn: UInt64
            var count: UInt64
            var owner: UInt32
            var ownerGFN: UInt64
        }
        struct Borrower: Codable {
            var domid: UInt32
            var uuid: String
            var extents: [Extent]
        }
        var version: Int
        var borrowers: [Borrower]
    }

    private struct JournalEntry: Codable {
        var op: String
        var domid: UInt32
        var uuid: String
        var gfn: UInt64
        var count: UInt64?
        var owner: UInt32?
        var ownerGFN: UInt64?
    }
}
