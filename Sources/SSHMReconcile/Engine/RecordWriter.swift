import SSHMCore

/// Writes one region's record inside a transaction. Every method is one or a few xenstore requests; none retries
/// or commits: ``withTransaction(_:policy:_:)`` around the caller does that.
struct RecordWriter {
    let store: any XenStore
    let tx: XenStoreTransaction
    let id: RegionID
    let dialect: RecordDialect

    var base: XenStorePath { XenStorePath(RecordPaths.record(id)) }
    var entries: XenStorePath { base.appending(dialect.borrowersKey) }

    /// Whether the record exists, read inside the transaction.
    func exists() throws -> Bool { try store.directory(base, in: tx) != nil }

    func manager() throws -> String? { try store.read(base.appending("manager"), in: tx) }

    /// Writes the header leaves, then makes the record dom0-only (`n0`) as the series did.
    func writeHeader(_ owner: OwnerTarget) throws {
        let nodes = RecordCodec.headerNodes(
            owner: owner.domain.domid, ownerUUID: owner.domain.uuid, begin: owner.begin, size: owner.size,
            prot: owner.prot, cachePolicy: owner.cachePolicy, source: owner.source, dialect: dialect)
        for node in nodes { try store.write(base.appending(node.name), node.value, in: tx) }
        try store.setPermissions(base, XenStorePermission.dom0Only, in: tx)
        try writeIndex()
        try writeRole(owner.domain.domid, .owner)
    }

    func writeEntry(_ target: BorrowerTarget, state: BorrowerState) throws {
        let entry = entries.appending(target.domain.domid)
        let nodes = RecordCodec.borrowerNodes(
            begin: target.begin, size: target.size, offset: target.offset, prot: target.prot,
            uuid: target.domain.uuid, state: state)
        for node in nodes { try store.write(entry.appending(node.name), node.value, in: tx) }
        try writeRole(target.domain.domid, .borrower)
    }

    func writeState(_ domid: DomID, _ state: BorrowerState) throws {
        try store.write(entries.appending(domid).appending("state"), state.rawValue, in: tx)
    }

    func readState(_ domid: DomID) throws -> String? {
        try store.read(entries.appending(domid).appending("state"), in: tx)
    }

    /// Domids with an entry, read inside the transaction (a concurrent change to the list then conflicts).
    func entryDomids() throws -> Set<DomID> {
        Set((try store.directory(entries, in: tx) ?? []).compactMap { DomID(decimal: $0) })
    }

    /// Removes an entry and the borrower's role node.
    func removeEntry(_ domid: DomID) throws {
        try store.remove(entries.appending(domid), in: tx)
        try removeRole(domid)
    }

    func writeRole(_ domid: DomID, _ role: Role) throws {
        try store.write(XenStorePath(RecordPaths.role(domid: domid, id: id)), dialect.roleValue(role), in: tx)
    }

    func removeRole(_ domid: DomID) throws {
        try store.remove(XenStorePath(RecordPaths.roleDirectory(domid: domid, id: id)), in: tx)
    }

    func writeIndex() throws { try store.write(XenStorePath(RecordPaths.indexEntry(id)), "", in: tx) }
    /// Removes the index entry, and its shard when that leaves it empty (read inside the transaction, so that a
    /// region added to the shard meanwhile makes it conflict instead of losing its entry).
    func removeIndex() throws {
        try store.remove(XenStorePath(RecordPaths.indexEntry(id)), in: tx)
        let shard = XenStorePath(RecordPaths.indexRoot).appending(RecordPaths.shard(of: id))
        if try store.directory(shard, in: tx)?.isEmpty == true { try store.remove(shard, in: tx) }
    }

    func writeUsercnt(_ value: Int) throws { try store.write(base.appending("usercnt"), String(value), in: tx) }

    /// Counts the entries whose pages are all mapped (state `mapped`, or none: libxl's records), reading each.
    /// - Parameter entries: the entries, when the caller has just listed them in this transaction.
    func countMapped(_ entries: Set<DomID>? = nil) throws -> Int {
        var count = 0
        for domid in try entries ?? entryDomids() {
            let state = try readState(domid)
            if state == nil || state == BorrowerState.mapped.rawValue { count += 1 }
        }
        return count
    }

    /// Removes the record, its index entry and the owner's role node.
    func removeRecord(owner: DomID?) throws {
        try store.remove(base, in: tx)
        try removeIndex()
        if let owner { try removeRole(owner) }
    }
}
