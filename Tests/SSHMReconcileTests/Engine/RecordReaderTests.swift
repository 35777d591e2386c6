import SSHMCore
import SSHMTestSupport
import Testing

@testable import SSHMReconcile

/// The batched reader against the plainest reading there is: one call per node, in the order a person would read.
struct RecordReaderTests {
    /// 150 records (three pages of 64) in both dialects, with missing leaves, an entry without leaves, missing
    /// views, views with a stray child or foreign permissions, and a record without borrowers, plus declared ids that
    /// have no record.
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
                    let view = XenStorePath(RecordPaths.roleDirectory(domid: DomID(unchecked: UInt32(domid)), id: id))
                    try store.write(view.appending("role"), "slave", in: nil)
                    try store.write(view.appending("state"), "mapped", in: nil)
                    if domid == 3 { try store.write(view.appending("stray"), "", in: nil) }
                    if index.isMultiple(of: 3) {
                        try store.setPermissions(
                            view.appending("state"),
                            [XenStorePermission(domid: 0, access: .none), XenStorePermission(domid: 7, access: .read)],
                            in: nil)
                    }
                }
            }
            if index.isMultiple(of: 13) { try store.mkdir(entries.appending(9), in: nil) }
        }
        let absent = try #require(RegionID("declared-only"))

        let read = try RecordReader(store: store, logger: .quiet).readRecords(ids + [absent])
        let expected = try readNodeByNode(ids + [absent], from: store)

        #expect(read.records.count == 150)
        #expect(read.records == expected.records)
        #expect(read.views == expected.views)
        #expect(read.views.count > 150)
        #expect(read.views.values.contains { $0.children.contains("stray") })
        #expect(read.views.values.contains { $0.permissions["state"] == "n0,r7" })
        #expect(read.permissions == expected.permissions)
        #expect(read.permissions.count == 150)
    }

    /// The index is every id in every shard.
    @Test func indexListsEveryShard() throws {
        let store = InMemoryXenStore()
        let ids = try (0..<300).map { try #require(RegionID("region-\($0)")) }
        for id in ids { try store.write(XenStorePath(RecordPaths.indexEntry(id)), "", in: nil) }
        #expect(try RecordReader(store: store, logger: .quiet).readIndex() == Set(ids))
    }

    private func readNodeByNode(_ ids: [RegionID], from store: any XenStore) throws -> RecordReader.Records {
        var result = RecordReader.Records()
        func text(_ permissions: [XenStorePermission]?) -> String? {
            permissions?.map(\.description).joined(separator: ",")
        }
        for id in ids {
            let base = XenStorePath(RecordPaths.record(id))
            guard let children = try store.directory(base, in: nil) else { continue }
            result.permissions[id] = text(try store.permissions(base, in: nil))
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
            result.records[id] = record
            for domid in [record.owner].compactMap({ $0 }) + Array(record.borrowers.keys) {
                let directory = XenStorePath(RecordPaths.roleDirectory(domid: domid, id: id))
                guard let children = try store.directory(directory, in: nil) else { continue }
                var view = ObservedView(children: children)
                view.permissions[ObservedView.directoryKey] = text(try store.permissions(directory, in: nil))
                for leaf in GuestView.leafNames {
                    view.values[leaf] = try store.read(directory.appending(leaf), in: nil)
                    view.permissions[leaf] = text(try store.permissions(directory.appending(leaf), in: nil))
                }
                result.views[RoleNode(domid: domid, id: id)] = view
            }
        }
        return result
    }
}
