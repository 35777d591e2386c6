/// The nodes of one record exactly as read from xenstore, before any interpretation.
package struct RawRecord: Hashable, Sendable {
    /// Leaf values directly under `/libxl/static_shm/<id>`, by name. Only the names this tool knows are read.
    package var fields: [String: String]
    /// Borrower entries, by the child name under `slaves/` (or `borrowers/`), each with its leaf values.
    package var borrowers: [String: [String: String]]
    /// Which borrower directory the entries came from (`nil` when neither exists).
    package var borrowersKey: String?

    package init(
        fields: [String: String] = [:], borrowers: [String: [String: String]] = [:], borrowersKey: String? = nil
    ) {
        self.fields = fields
        self.borrowers = borrowers
        self.borrowersKey = borrowersKey
    }
}

/// The one codec between region records and xenstore nodes (docs/design.md, "Records"). Decoding never fails:
/// whatever is missing or malformed becomes a `nil` field plus a problem for the planner to repair.
package enum RecordCodec {
    /// Header leaves this tool reads, in both dialects.
    package static let headerFields = [
        "master", "owner", "begin", "size", "prot", "cache_policy", "usercnt", "manager", "source", "owner_uuid",
    ]
    /// Leaves of one borrower entry.
    package static let borrowerFields = ["begin", "size", "offset", "prot", "uuid", "state"]

    /// Interprets a raw record.
    package static func decode(id: RegionID, _ raw: RawRecord) -> RegionRecord {
        var problems: [String] = []
        let dialect: RecordDialect =
            raw.fields["master"] != nil || raw.borrowersKey == "slaves"
            ? .masterSlave
            : raw.fields["owner"] != nil || raw.borrowersKey == "borrowers" ? .ownerBorrower : .masterSlave
        var record = RegionRecord(id: id, dialect: dialect)
        var reader = FieldReader(fields: raw.fields, problems: [])
        record.owner = reader.domid(dialect.ownerKey)
        record.begin = reader.address("begin")
        record.size = reader.size("size")
        record.prot = reader.prot("prot")
        record.cachePolicy = reader.cachePolicy("cache_policy")
        record.usercnt = reader.count("usercnt")
        record.manager = reader.text("manager", required: false)
        record.source = reader.text("source", required: false)
        record.ownerUUID = reader.uuid("owner_uuid", required: false)
        problems += reader.problems
        for (name, leaves) in raw.borrowers.sorted(by: { $0.key < $1.key }) {
            guard let domid = DomID(decimal: name) else {
                problems.append("\(dialect.borrowersKey)/\(name) is not a domid")
                continue
            }
            var entryReader = FieldReader(fields: leaves, problems: [], prefix: "\(dialect.borrowersKey)/\(name)/")
            var entry = BorrowerRecord(domid: domid)
            entry.begin = entryReader.address("begin")
            entry.size = entryReader.size("size")
            entry.offset = entryReader.offset("offset")
            entry.prot = entryReader.prot("prot")
            entry.uuid = entryReader.uuid("uuid", required: false)
            if let state = entryReader.text("state", required: false) {
                entry.state = BorrowerState(rawValue: state)
                if entry.state == nil {
                    entryReader.problems.append("\(entryReader.prefix)state \"\(state)\" is unknown")
                }
            }
            entry.problems = entryReader.problems
            record.borrowers[domid] = entry
        }
        record.problems = problems
        return record
    }

    /// The header leaves of a record owned by this tool, in write order.
    package static func headerNodes(
        owner: DomID, ownerUUID: DomainUUID, begin: GuestAddress, size: ByteSize, prot: Prot,
        cachePolicy: CachePolicy, source: String, dialect: RecordDialect
    ) -> [(name: String, value: String)] {
        [
            (dialect.ownerKey, RecordValue.decimal(owner.rawValue)),
            ("begin", RecordValue.hex(begin.rawValue)),
            ("size", RecordValue.hex(size.rawValue)),
            ("prot", prot.rawValue),
            ("cache_policy", cachePolicy.rawValue),
            ("manager", RegionRecord.managerName),
            ("source", source),
            ("owner_uuid", ownerUUID.rawValue),
        ]
    }

    /// The leaves of one borrower entry, in write order.
    package static func borrowerNodes(
        begin: GuestAddress, size: ByteSize, offset: Offset, prot: Prot, uuid: DomainUUID, state: BorrowerState
    ) -> [(name: String, value: String)] {
        [
            ("begin", RecordValue.hex(begin.rawValue)),
            ("size", RecordValue.hex(size.rawValue)),
            ("offset", RecordValue.hex(offset.rawValue)),
            ("prot", prot.rawValue),
            ("uuid", uuid.rawValue),
            ("state", state.rawValue),
        ]
    }
}

/// Reads typed fields out of a leaf map, collecting a problem for each missing or malformed one.
private struct FieldReader {
    var fields: [String: String]
    var problems: [String]
    var prefix = ""

    mutating func text(_ name: String, required: Bool = true) -> String? {
        guard let value = fields[name] else {
            if required { problems.append("\(prefix)\(name) is missing") }
            return nil
        }
        guard value.utf8.count <= RecordValue.maxLength else {
            problems.append("\(prefix)\(name) is longer than \(RecordValue.maxLength) bytes")
            return nil
        }
        return value
    }

    private mutating func parse<T>(_ name: String, required: Bool = true, _ what: String, _ parse: (String) -> T?) -> T?
    {
        guard let value = text(name, required: required) else { return nil }
        guard let parsed = parse(value) else {
            problems.append("\(prefix)\(name) \"\(value.prefix(40))\" is not \(what)")
            return nil
        }
        return parsed
    }

    mutating func domid(_ name: String) -> DomID? { parse(name, "a domid") { DomID(decimal: $0) } }
    mutating func count(_ name: String) -> Int? { parse(name, "a count") { RecordValue.parseDecimal($0) } }
    mutating func address(_ name: String) -> GuestAddress? {
        parse(name, "a page-aligned 0x address") { RecordValue.parseHex($0).flatMap { GuestAddress($0) } }
    }
    mutating func size(_ name: String) -> ByteSize? {
        parse(name, "a non-zero page-aligned 0x size") { RecordValue.parseHex($0).flatMap { ByteSize($0) } }
    }
    mutating func offset(_ name: String) -> Offset? {
        parse(name, "a page-aligned 0x offset") { RecordValue.parseHex($0).flatMap { Offset($0) } }
    }
    mutating func prot(_ name: String) -> Prot? { parse(name, "rw or ro") { Prot(rawValue: $0) } }
    mutating func cachePolicy(_ name: String) -> CachePolicy? {
        parse(name, "ARM_normal or x86_normal") { CachePolicy(rawValue: $0) }
    }
    mutating func uuid(_ name: String, required: Bool) -> DomainUUID? {
        parse(name, required: required, "a UUID") { DomainUUID($0) }
    }
}
