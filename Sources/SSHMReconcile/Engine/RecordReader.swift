import Logging
import SSHMCore

/// Reads region records, the index and role nodes through the xenstore port.
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

    /// Reads everything the planner compares against.
    /// - Parameter declared: ids the manifests declare (read even without an index entry, to find conflicts).
    package func readActual(declared: Set<RegionID>, scanAll: Bool = true) throws -> ActualState {
        var actual = ActualState()
        actual.indexed = try readIndex()
        var ids = actual.indexed.union(declared)
        if scanAll { ids.formUnion(scanRecordIDs()) }
        for id in ids.sorted() {
            guard let record = try readRecord(id, in: nil) else { continue }
            actual.records[id] = record
            actual.roles.merge(try readRoles(of: record)) { _, new in new }
        }
        return actual
    }

    /// The role nodes of the record's owner and borrowers that exist.
    package func readRoles(of record: RegionRecord) throws -> [RoleNode: String] {
        var roles: [RoleNode: String] = [:]
        for domid in [record.owner].compactMap({ $0 }) + record.borrowers.keys.sorted() {
            if let value = try store.read(XenStorePath(RecordPaths.role(domid: domid, id: record.id)), in: nil) {
                roles[RoleNode(domid: domid, id: record.id)] = value
            }
        }
        return roles
    }

    /// Ids in `/tool/sshm-reconcile/index/<xx>/`.
    package func readIndex() throws -> Set<RegionID> {
        let root = XenStorePath(RecordPaths.indexRoot)
        var ids: Set<RegionID> = []
        for shard in try store.directory(root, in: nil) ?? [] {
            for name in try store.directory(root.appending(shard), in: nil) ?? [] {
                if let id = RegionID(name) { ids.insert(id) }
            }
        }
        return ids
    }

    /// Every record id under `/libxl/static_shm`, or none when the listing fails.
    private func scanRecordIDs() -> [RegionID] {
        do {
            return (try store.directoryOnThrowawayHandle(XenStorePath(RecordPaths.root)) ?? []).compactMap(
                RegionID.init)
        } catch {
            logger.debug(
                "could not list every record; records without an index entry stay invisible this pass",
                metadata: ["error": "\(error)"])
            return []
        }
    }

    /// Reads one record; `nil` when `/libxl/static_shm/<id>` does not exist.
    package func readRecord(_ id: RegionID, in tx: XenStoreTransaction?) throws -> RegionRecord? {
        let base = XenStorePath(RecordPaths.record(id))
        guard let children = try store.directory(base, in: tx) else { return nil }
        var raw = RawRecord()
        let present = Set(children)
        for name in RecordCodec.headerFields where present.contains(name) {
            if let value = try store.read(base.appending(name), in: tx) { raw.fields[name] = value }
        }
        raw.borrowersKey = ["slaves", "borrowers"].first(where: present.contains)
        if let key = raw.borrowersKey {
            let directory = base.appending(key)
            for child in try store.directory(directory, in: tx) ?? [] {
                var leaves: [String: String] = [:]
                for name in RecordCodec.borrowerFields {
                    if let value = try store.read(directory.appending(child).appending(name), in: tx) {
                        leaves[name] = value
                    }
                }
                raw.borrowers[child] = leaves
            }
        }
        return RecordCodec.decode(id: id, raw)
    }
}
