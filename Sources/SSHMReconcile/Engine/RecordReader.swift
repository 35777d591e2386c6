import Logging
import SSHMCore

/// Reads region records, the index and the members' views through the xenstore port.
///
/// Records are found through the sharded index and the declared ids, which keeps every listing small; the full
/// listing of `/libxl/static_shm` (which finds unmanaged records and records whose index entry was lost) runs on a
/// throwaway handle, and when it fails the pass goes on without it: records it cannot see are never pruned.
package struct RecordReader {
    package let store: any XenStore
    package let logger: Logger

    package init(store: any XenStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// How many records one batch reads: their requests go out together (``XenStore/readMany(_:)``).
    static let page = 64

    /// Reads everything the planner compares against.
    /// - Parameter declared: ids the manifests declare (read even without an index entry, to find conflicts),
    ///   unless the full listing ran and names neither them nor the index: then they have no record to read.
    package func readActual(declared: Set<RegionID>, scanAll: Bool = true) throws -> ActualState {
        var actual = ActualState()
        actual.indexed = try readIndex()
        var ids = actual.indexed
        if scanAll, let scanned = scanRecordIDs() {
            ids.formUnion(scanned)
        } else {
            ids.formUnion(declared)
        }
        let read = try readRecords(ids.sorted())
        actual.records = read.records
        actual.views = read.views
        actual.recordPermissions = read.permissions
        return actual
    }

    /// Ids in `/tool/sshm-reconcile/index/<xx>/`.
    package func readIndex() throws -> Set<RegionID> {
        let root = XenStorePath(RecordPaths.indexRoot)
        let shards = try store.readMany(
            (try store.directory(root, in: nil) ?? []).map { .directory(root.appending($0)) })
        return Set(shards.flatMap { $0.children ?? [] }.compactMap(RegionID.init))
    }

    /// Every record id under `/libxl/static_shm`, or `nil` when the listing fails.
    private func scanRecordIDs() -> [RegionID]? {
        do {
            return (try store.directoryOnThrowawayHandle(XenStorePath(RecordPaths.root)) ?? []).compactMap(
                RegionID.init)
        } catch {
            logger.debug(
                "could not list every record; records without an index entry stay invisible this pass",
                metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// What ``readRecords(_:)`` found.
    package struct Records {
        package var records: [RegionID: RegionRecord] = [:]
        /// The views of the records' owners and borrowers that exist.
        package var views: [RoleNode: ObservedView] = [:]
        /// The records' own permissions (``GuestView``'s form, `n0`).
        package var permissions: [RegionID: String] = [:]
    }

    /// Reads the records of `ids` that exist, their permissions, and the views (docs/guest-view.md) of their owners
    /// and borrowers that exist, with the permissions of every node of them.
    ///
    /// A page of records at a time, in four batches (``XenStore/readMany(_:each:)``), each built from the answers of
    /// the one before: the records' listings; their header leaves, borrower listings and permissions; the borrowers'
    /// leaves; the views. Each answer is taken as it arrives, while the daemon answers the next ones: a record is
    /// decoded, and its views asked for, with its last answer. Outside any transaction, like separate reads.
    package func readRecords(_ ids: [RegionID]) throws -> Records {
        var result = Records()
        for start in stride(from: 0, to: ids.count, by: Self.page) {
            let page = Array(ids[start..<min(start + Self.page, ids.count)])
            var raws: [(id: RegionID, raw: RawRecord)] = []
            // Answers still to come for each record, of the second and third batches.
            var pending: [Int] = []
            var headers = Batch<HeaderAnswer>()
            var borrowerLeaves = Batch<(record: Int, child: String, name: String)>()
            var viewNodes = Batch<(node: RoleNode, leaf: String?)>()
            func answered(_ record: Int) {
                pending[record] -= 1
                guard pending[record] == 0 else { return }
                let (id, raw) = raws[record]
                let decoded = RecordCodec.decode(id: id, raw)
                result.records[id] = decoded
                for domid in decoded.roleDomids {
                    let node = RoleNode(domid: domid, id: id)
                    let directory = XenStorePath(RecordPaths.roleDirectory(domid: domid, id: id))
                    viewNodes.add(.directory(directory), for: (node, nil))
                    viewNodes.add(.permissions(directory), for: (node, nil))
                    for leaf in GuestView.leafNames {
                        viewNodes.add(.read(directory.appending(leaf)), for: (node, leaf))
                        viewNodes.add(.permissions(directory.appending(leaf)), for: (node, leaf))
                    }
                }
            }
            try store.readMany(page.map { .directory(XenStorePath(RecordPaths.record($0))) }) { index, listing in
                guard let children = listing.children else { return }
                let record = raws.count
                let base = XenStorePath(RecordPaths.record(page[index]))
                let present = Set(children)
                var raw = RawRecord()
                raw.borrowersKey = ["slaves", "borrowers"].first(where: present.contains)
                let before = headers.count
                for name in RecordCodec.headerFields where present.contains(name) {
                    headers.add(.read(base.appending(name)), for: .field(record: record, name: name))
                }
                if let key = raw.borrowersKey {
                    headers.add(.directory(base.appending(key)), for: .entries(record: record))
                }
                headers.add(.permissions(base), for: .permissions(record: record))
                raws.append((page[index], raw))
                pending.append(headers.count - before)
            }
            try headers.read(from: store) { key, answer in
                switch key {
                case .field(let record, let name):
                    raws[record].raw.fields[name] = answer.value
                    answered(record)
                case .permissions(let record):
                    if let permissions = answer.permissions {
                        result.permissions[raws[record].id] = Self.text(permissions)
                    }
                    answered(record)
                case .entries(let record):
                    let (id, raw) = raws[record]
                    if let key = raw.borrowersKey {
                        for child in answer.children ?? [] {
                            raws[record].raw.borrowers[child] = [:]
                            let entry = XenStorePath(RecordPaths.record(id)).appending(key).appending(child)
                            for name in RecordCodec.borrowerFields {
                                borrowerLeaves.add(.read(entry.appending(name)), for: (record, child, name))
                                pending[record] += 1
                            }
                        }
                    }
                    answered(record)
                }
            }
            try borrowerLeaves.read(from: store) { key, answer in
                raws[key.record].raw.borrowers[key.child]?[key.name] = answer.value
                answered(key.record)
            }
            try viewNodes.read(from: store) { key, answer in
                switch (answer, key.leaf) {
                case (.children(let children?), _): result.views[key.node] = ObservedView(children: children)
                case (.permissions(let permissions?), _):
                    result.views[key.node]?.permissions[key.leaf ?? ObservedView.directoryKey] = Self.text(permissions)
                case (.value(let value?), let leaf?): result.views[key.node]?.values[leaf] = value
                default: break
                }
            }
        }
        return result
    }

    /// `n0,r5`: the form ``GuestView`` compares.
    static func text(_ permissions: [XenStorePermission]) -> String {
        permissions.map(\.description).joined(separator: ",")
    }
}

/// What an answer of a record's second batch is for.
private enum HeaderAnswer {
    case field(record: Int, name: String)
    case entries(record: Int)
    case permissions(record: Int)
}

/// Queries to send together, each with what its answer is for.
private struct Batch<Key> {
    private var keys: [Key] = []
    private var queries: [XenStoreQuery] = []

    mutating func add(_ query: XenStoreQuery, for key: Key) {
        keys.append(key)
        queries.append(query)
    }

    var count: Int { queries.count }

    /// Sends the queries together and hands each answer on with its key, as it arrives.
    func read(from store: any XenStore, _ body: (Key, XenStoreAnswer) -> Void) throws {
        try store.readMany(queries) { index, answer in body(keys[index], answer) }
    }
}
