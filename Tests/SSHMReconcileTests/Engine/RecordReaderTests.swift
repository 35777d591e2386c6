import SSHMCore
import SSHMTestSupport
import Testing

@testable import SSHMReconcile

/// The batched reader against the plainest reading there is: one call per node, in the order a person would read.
struct RecordReaderTests {
    /// 150 records (three pages of 64) in both dialects, with missing leaves, an entry without leaves, a missing
    /// role node and a record without borrowers, plus declared ids that have no record.
    @Test func batchedReadingMatchesReadingNodeByNode() throws {
        let store = InMemoryXenStore()
        var ids: [RegionID] = []
        for index in 0..<150 {
            let id = try #require(RegionID("r\(index)"))
            ids.append(id)
            let base = XenStorePath(RecordPaths.record(id))
            let legacy = index.isMultiple(of: 2)
            try store.write(base.appending(legacy ? "master" : "owner"), "1", in: nil)
            try store.write(base.appending("begin"), "0x\(String(index * 16, radix: 16))000", in: nil)
            if !index.isMultiple(of: 5) { try store.write(base.appending("size"), "0x1000", in: nil) }
            try store.write(base.appending("usercnt"), "\(index % 4)", in: nil)
            try store.write(
                XenStorePath(RecordPaths.role(domid: DomID(unchecked: 1), id: id)), legacy ? "master" : "owner", in: nil
            )
            guard !index.isMultiple(of: 7) else { continue }
            let entries = base.appending(legacy ? "slaves" : "borrowers")
            for domid in 2...(2 + index % 3) {
                let entry = entries.appending(domid)
                try store.write(entry.appending("begin"), "0x2000000", in: nil)
                if domid != 3 { try store.write(entry.appending("state"), "mapped", in: nil) }
                if index % 11 != 0 {
                    try store.write(
                        XenStorePath(RecordPaths.role(domid: DomID(unchecked: UInt32(domid)), id: id)), "slave", in: nil
                    )
                }
            }
            if index.isMultiple(of: 13) { try store.mkdir(entries.appending(9), in: nil) }
        }
        let absent = try #require(RegionID("declared-only"))

        let (records, roles) = try RecordReader(store: store, logger: .quiet).readRecords(ids + [absent])
        let (expectedRecords, expectedRoles) = try readNodeByNode(ids + [absent], from: store)

        #expect(records.count == 150)
        #expect(records == expectedRecords)
        #expect(roles == expectedRoles)
        #expect(roles.count > 150)
    }

    /// The index is every id in every shard.
    @Test func indexListsEveryShard() throws {
        let store = InMemoryXenStore()
        let ids = try (0..<300).map { try #require(RegionID("region-\($0)")) }
        for id in ids { try store.write(XenStorePath(RecordPaths.indexEntry(id)), "", in: nil) }
        #expect(try RecordReader(store: store, logger: .quiet).readIndex() == Set(ids))
    }

    private func readNodeByNode(
        _ ids: [RegionID], from store: any XenStore
    ) throws -> ([RegionID: RegionRecord], [RoleNode: String]) {
        var records: [RegionID: RegionRecord] = [:]
        var roles: [RoleNode: String] = [:]
        for id in ids {
            let base = XenStorePath(RecordPaths.record(id))
            guard let children = try store.directory(base, in: nil) else { continue }
            var raw = RawRecord()
            for name in RecordCodec.headerFields where children.contains(name) {
                raw.fields[name] = try store.read(base.appending(name), in: nil)
            }
            raw.borrowersKey = ["slaves", "borrowers"].first(where: children.contains)
            if let key = raw.borrowersKey {
                for child in try store.directory(base.appending(key), in: nil) ?? [] {
                    var leaves: [String: String] = [:]
                    for name in RecordCodec.borrowerFields {
                        leaves[name] = try store.read(base.appending(key).appending(child).appending(name), in: nil)
                    }
                    raw.borrowers[child] = leaves
                }
            }
            let record = RecordCodec.decode(id: id, raw)
            records[id] = record
            for domid in [record.owner].compactMap({ $0 }) + Array(record.borrowers.keys) {
                let node = RoleNode(domid: domid, id: id)
                roles[node] = try store.read(XenStorePath(RecordPaths.role(domid: domid, id: id)), in: nil)
            }
        }
        return (records, roles)
    }
}
