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

    /// ``exists()`` or ``manager()`` as a query, for a batch that sends the first read of each of its regions in
    /// one round trip.
    func firstQuery(writesHeader: Bool) -> XenStoreQuery {
        writesHeader ? .directory(base) : .read(base.appending("manager"))
    }

    /// The recorded owner, read inside the transaction.
    func owner() throws -> DomID? {
        try store.read(base.appending(dialect.ownerKey), in: tx).flatMap(DomID.init(decimal:))
    }

    /// Writes the header leaves, then makes the record dom0-only (`n0`) as the series did; and the owner's view.
    /// - Parameter fresh: the record did not exist, so neither may the owner's view (``writeFreshView(_:)``).
    func writeHeader(_ owner: OwnerTarget, fresh: Bool) throws {
        let nodes = RecordCodec.headerNodes(
            owner: owner.domain.domid, ownerUUID: owner.domain.uuid, begin: owner.begin, size: owner.size,
            prot: owner.prot, cachePolicy: owner.cachePolicy, source: owner.source, dialect: dialect)
        for node in nodes { try store.write(base.appending(node.name), node.value, in: tx) }
        try store.setPermissions(base, XenStorePermission.dom0Only, in: tx)
        try writeIndex()
        let view = GuestView.owner(owner, dialect: dialect)
        if fresh { try writeFreshView(view) } else { try writeView(view) }
    }

    /// Writes an entry and the borrower's whole view, whose `state` says the same as the entry's.
    /// - Parameter fresh: the entry did not exist, so neither may the borrower's view (``writeFreshView(_:)``).
    func writeEntry(_ target: BorrowerTarget, state: BorrowerState, fresh: Bool) throws {
        let entry = entries.appending(target.domain.domid)
        let nodes = RecordCodec.borrowerNodes(
            begin: target.begin, size: target.size, offset: target.offset, prot: target.prot,
            uuid: target.domain.uuid, state: state)
        for node in nodes { try store.write(entry.appending(node.name), node.value, in: tx) }
        let view = GuestView.borrower(target, state: state, dialect: dialect)
        if fresh { try writeFreshView(view) } else { try writeView(view) }
    }

    /// Writes an entry's state and the same state in the borrower's view.
    func writeState(_ domid: DomID, _ state: BorrowerState) throws {
        try store.write(entries.appending(domid).appending("state"), state.rawValue, in: tx)
        try store.write(view(of: domid).appending("state"), state.rawValue, in: tx)
    }

    /// `/local/domain/<domid>/static_shm/<id>`.
    func view(of domid: DomID) -> XenStorePath { XenStorePath(RecordPaths.roleDirectory(domid: domid, id: id)) }

    /// Writes `view`'s leaves and sets the permissions of its directory and of each of them: `n0,r<domid>`, always
    /// explicitly (a node that was there before keeps its own, and one created below another domain's tree would
    /// inherit whatever that tree has).
    func writeView(_ view: GuestView) throws {
        let directory = self.view(of: view.domid)
        let permissions = Self.viewPermissions(view.domid)
        // The first write creates the directory.
        for leaf in view.leaves { try store.write(directory.appending(leaf.name), leaf.value, in: tx) }
        try store.setPermissions(directory, permissions, in: tx)
        for leaf in view.leaves { try store.setPermissions(directory.appending(leaf.name), permissions, in: tx) }
    }

    /// Writes a view where none may be: whatever is there (a leftover of an earlier member, or nodes the guest
    /// made in its own tree) goes; the directory is created and given `n0,r<domid>`; its leaves, written after,
    /// inherit that (both daemons give a node dom0 creates its parent's permissions; the contract checks it). One
    /// request per leaf instead of two (docs/design.md, "Transactions on the wire").
    func writeFreshView(_ view: GuestView) throws {
        let directory = self.view(of: view.domid)
        try store.remove(directory, in: tx)
        try store.write(directory, "", in: tx)
        try store.setPermissions(directory, Self.viewPermissions(view.domid), in: tx)
        for leaf in view.leaves { try store.write(directory.appending(leaf.name), leaf.value, in: tx) }
    }

    /// Rewrites a view the planner found drifted: its children are listed inside the transaction and those that
    /// do not belong go; a borrower's `state` is the one its entry holds now, and a borrower without an entry any
    /// more gets no view, nor does a domain whose tree is gone (being destroyed: its view went with its tree, and
    /// writing it again would leave nodes of a dead domain behind once its entry is forgotten).
    /// - Returns: whether it wrote the view.
    func repairView(_ view: GuestView) throws -> Bool {
        guard try store.read(XenStorePath("/local/domain/\(view.domid.rawValue)"), in: tx) != nil else { return false }
        var view = view
        if let index = view.leaves.firstIndex(where: { $0.name == "state" }) {
            guard let state = try readState(view.domid) else { return false }
            view.leaves[index].value = state
        }
        let unexpected = (try store.directory(self.view(of: view.domid), in: tx) ?? []).filter {
            !GuestView.belongs($0)
        }
        for child in unexpected { try store.remove(self.view(of: view.domid).appending(child), in: tx) }
        try writeView(view)
        return true
    }

    /// Writes the owner's `peer` and `state` from `states` (every entry, by domid, with its state as read in this
    /// transaction), with their permissions, unless `inPlace`.
    /// - Parameters:
    ///   - inPlace: the nodes' permissions are known right: this transaction wrote the view fresh (the leaves then
    ///     inherit the directory's), or an earlier one of this pass wrote them. Otherwise the view may have been
    ///     missing, and this write would create them below whatever its parent is.
    ///   - written: the borrowers an earlier transaction of this pass wrote as `peer`; when they are still
    ///     `states`' borrowers, `peer` is not written again.
    func writeOwnerSummary(
        _ owner: DomID?, _ states: [DomID: String?], inPlace: Bool = false, unlessPeersAre written: Set<DomID>? = nil
    ) throws {
        guard let owner else { return }
        let directory = view(of: owner)
        let summary = GuestView.ownerSummary(states.mapValues { $0.map { BorrowerState(rawValue: $0) ?? .mapping } })
        let unchanged = written == Set(states.keys)
        for leaf in summary where !(unchanged && leaf.name == "peer") {
            try store.write(directory.appending(leaf.name), leaf.value, in: tx)
            if !inPlace {
                try store.setPermissions(directory.appending(leaf.name), Self.viewPermissions(owner), in: tx)
            }
        }
    }

    static func viewPermissions(_ domid: DomID) -> [XenStorePermission] {
        [XenStorePermission(domid: 0, access: .none), XenStorePermission(domid: domid.rawValue, access: .read)]
    }

    func readState(_ domid: DomID) throws -> String? {
        try store.read(entries.appending(domid).appending("state"), in: tx)
    }

    /// Domids with an entry, read inside the transaction (a concurrent change to the list then conflicts).
    func entryDomids() throws -> Set<DomID> {
        Set((try store.directory(entries, in: tx) ?? []).compactMap { DomID(decimal: $0) })
    }

    /// Removes an entry and the borrower's view.
    func removeEntry(_ domid: DomID) throws {
        try store.remove(entries.appending(domid), in: tx)
        try removeView(domid)
    }

    /// Removes a member's view, its role node included.
    func removeView(_ domid: DomID) throws {
        try store.remove(view(of: domid), in: tx)
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

    /// The state of each of `entries` (all of them by default), reading each.
    /// - Parameter entries: the entries, when the caller has just listed them in this transaction.
    func states(_ entries: Set<DomID>? = nil) throws -> [DomID: String?] {
        var states: [DomID: String?] = [:]
        for domid in try entries ?? entryDomids() { states[domid] = .some(try readState(domid)) }
        return states
    }

    /// How many of `states` say all their pages are mapped (state `mapped`, or none: libxl's records).
    static func mappedCount(_ states: [DomID: String?]) -> Int {
        states.values.filter { $0 == nil || $0 == BorrowerState.mapped.rawValue }.count
    }

    /// Removes the record, its index entry and the owner's view.
    func removeRecord(owner: DomID?) throws {
        try store.remove(base, in: tx)
        try removeIndex()
        if let owner { try removeView(owner) }
    }
}
