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
    /// A page of records at a time, in four batches (``XenStore/readMany(_:)``), each built from the answers of the
    /// one before: the records' listings; their header leaves, borrower listings and permissions; the borrowers'
    /// leaves; the views. Outside any transaction, like separate reads.
    package func readRecords(_ ids: [RegionID]) throws -> Records {
        var result = Records()
        for start in stride(from: 0, to: ids.count, by: Self.page) {
            let page = ids[start..<min(start + Self.page, ids.count)]
            let listings = try store.readMany(page.map { .directory(XenStorePath(RecordPaths.record($0))) })
            var raws: [(id: RegionID, raw: RawRecord)] = []
            var headers = Batch<HeaderAnswer>()
            for (id, listing) in zip(page, listings) {
                guard let children = listing.children else { continue }
                let base = XenStorePath(RecordPaths.record(id))
                let present = Set(children)
                var raw = RawRecord()
                raw.borrowersKey = ["slaves", "borrowers"].first(where: present.contains)
                for name in RecordCodec.headerFields where present.contains(name) {
                    headers.add(.read(base.appending(name)), for: .field(record: raws.count, name: name))
                }
                if let key = raw.borrowersKey {
                    headers.add(.directory(base.appending(key)), for: .entries(record: raws.count))
                }
                headers.add(.permissions(base), for: .permissions(record: raws.count))
                raws.append((id, raw))
            }
            var borrowerLeaves = Batch<(record: Int, child: String, name: String)>()
            for (key, answer) in try headers.answers(from: store) {
                switch key {
                case .field(let record, let name):
                    raws[record].raw.fields[name] = answer.value
                case .permissions(let record):
                    if let permissions = answer.permissions {
                        result.permissions[raws[record].id] = Self.text(permissions)
                    }
                case .entries(let record):
                    let (id, raw) = raws[record]
                    guard let key = raw.borrowersKey else { continue }
                    for child in answer.children ?? [] {
                        raws[record].raw.borrowers[child] = [:]
                        let entry = XenStorePath(RecordPaths.record(id)).appending(key).appending(child)
                        for name in RecordCodec.borrowerFields {
                            borrowerLeaves.add(.read(entry.appending(name)), for: (record, child, name))
                        }
                    }
                }
            }
            for ((record, child, name), answer) in try borrowerLeaves.answers(from: store) {
                raws[record].raw.borrowers[child]?[name] = answer.value
            }
            var viewNodes = Batch<(node: RoleNode, leaf: String?)>()
            for (id, raw) in raws {
                let record = RecordCodec.decode(id: id, raw)
                result.records[id] = record
                for domid in record.roleDomids {
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
            for ((node, leaf), answer) in try viewNodes.answers(from: store) {
                switch (answer, leaf) {
                case (.children(let children?), _): result.views[node] = ObservedView(children: children)
                case (.permissions(let permissions?), _):
                    result.views[node]?.permissions[leaf ?? ObservedView.directoryKey] = Self.text(permissions)
                case (.value(let value?), let leaf?): result.views[node]?.values[leaf] = value
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

    func answers(from store: any XenStore) throws -> Zip2Sequence<[Key], [XenStoreAnswer]> {
        zip(keys, try store.readMany(queries))
    }
}
