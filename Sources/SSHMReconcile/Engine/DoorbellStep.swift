import Logging
import SSHMCore

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps every region's doorbell rendezvous (docs/guest-view.md, "Doorbell") after the record transactions, never
/// inside one: its nodes are written by guests, and a guest writing in a loop must not make the records' transactions
/// conflict. Reads the rendezvous outside any transaction, asks the hypervisor about each owner's published port,
/// then writes what is missing, drifted or broken in one transaction per region (a conflict there means a guest
/// moved meanwhile: the next check sees it).
package struct DoorbellStep {
    package let store: any XenStore
    package let eventChannels: any EventChannels
    package let logger: Logger

    package init(store: any XenStore, eventChannels: any EventChannels, logger: Logger) {
        self.store = store
        self.eventChannels = eventChannels
        self.logger = logger
    }

    /// One region's doorbells, as found and after the changes.
    package struct RegionDoorbells: Hashable, Sendable {
        package var owner: DomID
        /// By borrower: the pair's state before any reset this step made.
        package var pairs: [DomID: DoorbellState]
        /// The changes made (or, read-only, that would be made).
        package var changes: [DoorbellChange]
    }

    /// The regions to look at: those that want a doorbell for some borrower, and those where a view holds a
    /// `doorbell` subtree (a dropped `doorbell:`).
    /// - Parameter scope: only these (a daemon's pass: looking at every region's views would make each pass
    ///   linear in the host's regions); `nil`: all.
    package static func candidates(
        _ desired: DesiredState, _ actual: ActualState, within scope: Set<RegionID>? = nil
    ) -> Set<RegionID> {
        // Views are read for the members of records only, so the declared ids and the records' cover every one.
        let ids = scope ?? Set(desired.regions.map(\.id)).union(actual.records.keys)
        return ids.filter { id in
            if desired.regionsByID[id]?.borrowers.contains(where: \.doorbell) == true { return true }
            return actual.records[id]?.roleDomids.contains {
                actual.views[RoleNode(domid: $0, id: id)]?.children.contains(GuestView.doorbellName) == true
            } ?? false
        }
    }

    /// Reads and checks the doorbells of `ids`; with `repair`, makes the changes.
    /// - Parameter known: the records and views as they are now, when the caller has just read them and changed
    ///   nothing since (`status`, a pass that had nothing to do); otherwise they are read again.
    /// - Returns: by region, for those whose record exists.
    package func run(
        _ ids: Set<RegionID>, desired: DesiredState, domains: DomainTable, repair: Bool, known: ActualState? = nil
    ) throws -> [RegionID: RegionDoorbells] {
        guard !ids.isEmpty else { return [:] }
        let records =
            try known.map { RecordReader.Records(records: $0.records, views: $0.views) }
            ?? RecordReader(store: store, logger: logger).readRecords(ids.sorted())
        let wanted = Self.wantedBorrowers(desired, domains: domains)
        var trees: [(tree: DoorbellTree, members: Set<DomID>)] = []
        for id in ids.sorted() {
            guard let record = records.records[id], let owner = record.owner,
                records.views[RoleNode(domid: owner, id: id)] != nil
            else { continue }
            let members = Set(record.roleDomids.filter { records.views[RoleNode(domid: $0, id: id)] != nil })
            let borrowers = (wanted[id] ?? []).filter { $0 != owner && members.contains($0) }
            let tree = DoorbellTree(id: id, owner: owner, borrowers: Array(borrowers), enabled: wanted[id] != nil)
            trees.append((tree, members))
        }
        let observed = try read(trees.flatMap { $0.tree.nodesToRead(members: $0.members) })
        var result: [RegionID: RegionDoorbells] = [:]
        for (tree, members) in trees {
            let (changes, states) = tree.plan(
                members: members, observed: observed, statuses: statuses(of: tree, observed))
            result[tree.id] = RegionDoorbells(owner: tree.owner, pairs: states, changes: changes)
            guard repair, !changes.isEmpty else { continue }
            apply(changes, of: tree, states: states)
        }
        return result
    }

    /// By region that wants a doorbell for some borrower (and only those), its borrowers with one that run now.
    static func wantedBorrowers(_ desired: DesiredState, domains: DomainTable) -> [RegionID: Set<DomID>] {
        var wanted: [RegionID: Set<DomID>] = [:]
        for region in desired.regions where region.borrowers.contains(where: \.doorbell) {
            wanted[region.id] = Set(
                region.borrowers.filter(\.doorbell).compactMap { spec -> DomID? in
                    if case .found(let domain) = domains.resolve(spec.domain) { domain.domid } else { nil }
                })
        }
        return wanted
    }

    /// Every node's value, children and permissions, in one batch.
    private func read(_ paths: [String]) throws -> [String: ObservedNode] {
        let queries = paths.flatMap { path -> [XenStoreQuery] in
            let node = XenStorePath(path)
            return [.read(node), .directory(node), .permissions(node)]
        }
        let answers = try store.readMany(queries)
        var observed: [String: ObservedNode] = [:]
        for (index, path) in paths.enumerated() {
            let (value, children, permissions) = (answers[3 * index], answers[3 * index + 1], answers[3 * index + 2])
            guard let permissions = permissions.permissions else { continue }
            observed[path] = ObservedNode(
                value: value.value, children: children.children ?? [], permissions: RecordReader.text(permissions))
        }
        return observed
    }

    /// The hypervisor's answer for each port the owner published (it never sees a guest's text, only a port
    /// ``DoorbellPort`` accepted).
    private func statuses(of tree: DoorbellTree, _ observed: [String: ObservedNode]) -> [UInt32: EventChannelAnswer] {
        var statuses: [UInt32: EventChannelAnswer] = [:]
        for borrower in tree.borrowers {
            let value = observed[DoorbellTree.port(tree.id, of: tree.owner, peer: borrower)]?.value ?? ""
            guard let port = DoorbellVerdict.ownerPort(value), statuses[port] == nil else { continue }
            do {
                statuses[port] = .status(try eventChannels.eventChannelStatus(domain: tree.owner, port: port))
            } catch let error as HypervisorError {
                statuses[port] = .failed(SystemErrno(error.errno))
            } catch {
                statuses[port] = .failed(SystemErrno(EIO))
            }
        }
        return statuses
    }

    private func apply(_ changes: [DoorbellChange], of tree: DoorbellTree, states: [DomID: DoorbellState]) {
        for (borrower, state) in states.sorted(by: { $0.key < $1.key }) where state.isBroken {
            logger.warning(
                "doorbell \(tree.id) \(tree.owner)↔\(borrower) \(state); resetting it so the guests meet again",
                metadata: ["region": "\(tree.id)", "owner": "\(tree.owner)", "borrower": "\(borrower)"])
        }
        do {
            // One attempt: a conflict means a guest moved meanwhile, and the changes were planned on what it wrote
            // before; its write's watch brings the next check.
            try withTransaction(store, policy: RetryPolicy(attempts: 1)) { tx in
                for change in changes {
                    switch change {
                    case .write(let path, let value): try store.write(XenStorePath(path), value, in: tx)
                    case .remove(let path): try store.remove(XenStorePath(path), in: tx)
                    case .setPermissions(let path, let text):
                        let permissions = text.split(separator: ",").compactMap { XenStorePermission($0) }
                        try store.setPermissions(XenStorePath(path), permissions, in: tx)
                    }
                }
            }
        } catch {
            logger.info(
                "doorbell \(tree.id): \(changes.count) changes not made this time: \(error)",
                metadata: ["region": "\(tree.id)"])
        }
    }
}
