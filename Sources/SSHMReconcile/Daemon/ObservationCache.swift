import Logging
import SSHMCore

/// The daemon's copy of the actual state, kept fresh by xenstore watches instead of re-reading every record on
/// every event (the way controller-runtime's informer cache does). Watches on `/libxl/static_shm` and
/// `/tool/sshm-reconcile` name what changed; domain events re-list the domains only. A periodic full read is the
/// safety net, and anything doubtful (a reconnect, an overflowing burst) falls back to it.
package struct ObservationCache: Sendable {
    package enum Token {
        package static let records = "records"
        package static let tool = "tool"
        package static let domains = "domains"
        package static let localDomain = "local-domain"
        /// The doorbells' rendezvous nodes (``DoorbellKeeper``).
        package static let doorbell = "doorbell"
    }

    package private(set) var observation: Observation?
    /// What the last refresh read: `full`, or `domains` and/or `records=N`, for the daemon's debug log.
    package private(set) var lastRefresh = ""

    /// Every id read at least once (present or not), so that newly declared ids get read.
    private var known: Set<RegionID> = []
    /// The records that list each domid (owner or borrower), kept with the observation's records.
    private var recordsByDomid: [DomID: Set<RegionID>] = [:]
    private var dirty: Set<RegionID> = []
    /// The daemon loaded the config dir since the last refresh: declared ids may be new.
    private var declarationsChanged = false
    private var fullRead = true
    private var domainsDirty = true
    private var indexDirty = false

    package init() {}

    package mutating func markDomainsChanged() { domainsDirty = true }

    package mutating func markChanged(_ ids: some Sequence<RegionID>) { dirty.formUnion(ids) }

    /// The desired state was loaded again: the next refresh reads the declared ids it never read.
    package mutating func markDeclarationsChanged() { declarationsChanged = true }

    /// Notes what a batch of watch events says changed.
    package mutating func absorb(_ wakeups: Wakeups) {
        if wakeups.overflow || wakeups.resync { fullRead = true }
        if wakeups.domains { domainsDirty = true }
        for path in wakeups.paths[Token.records] ?? [] {
            let components = path.split(separator: "/")
            // /libxl/static_shm/<id>/… names one record; /libxl/static_shm itself (a new watch, a subtree removal)
            // says nothing specific.
            if components.count >= 3, let id = RegionID(String(components[2])) {
                dirty.insert(id)
            } else {
                fullRead = true
            }
        }
        if !(wakeups.paths[Token.tool] ?? []).isEmpty { indexDirty = true }
        if !(wakeups.paths[Token.domains] ?? []).isEmpty { domainsDirty = true }
        for path in wakeups.paths[Token.localDomain] ?? [] {
            domainsDirty = true
            // /local/domain/<domid>/static_shm/<id>/role
            let components = path.split(separator: "/")
            if components.count >= 5, components[3] == "static_shm", let id = RegionID(String(components[4])) {
                dirty.insert(id)
            }
        }
    }

    /// Brings the cache up to date.
    /// - Parameter desired: what the manifests declare now (ids it declares that were never read are read after
    ///   ``markDeclarationsChanged()``, which the daemon calls when it loads the config dir).
    /// - Returns: the observation, and the regions its changes can affect (`nil` after a full read: all of them).
    package mutating func refresh(
        desired: DesiredState, store: any XenStore, hypervisor: any Hypervisor, logger: Logger, scanAll: Bool
    ) throws -> (observation: Observation, scope: Set<RegionID>?) {
        let reader = RecordReader(store: store, logger: logger)
        // Taken out, not copied: a copy would make the in-place updates below copy every record and view the host
        // has (copy-on-write) on each pass, which cost more than the pass's own reads. A refresh that throws leaves
        // no observation, and the next one reads everything.
        guard !fullRead, var observation = observation.take() else {
            let info = try hypervisor.info()
            let domains = try DomainDirectory.read(hypervisor: hypervisor, store: store)
            let declared = Set(desired.regionsByID.keys)
            let actual = try reader.readActual(declared: declared, scanAll: scanAll)
            let fresh = Observation(actual: actual, domains: domains, hypervisor: info)
            observation = fresh
            known = declared.union(actual.records.keys).union(actual.indexed)
            recordsByDomid = Self.index(actual.records.values)
            dirty = []
            declarationsChanged = false
            fullRead = false
            domainsDirty = false
            indexDirty = false
            lastRefresh = "full"
            return (fresh, nil)
        }
        var read: [String] = []
        var stale = dirty
        if declarationsChanged {
            // Looked up id by id, and only after a reload: going through every declared id on every event would cost
            // more than the pass's reads.
            for id in desired.regionsByID.keys where !known.contains(id) { stale.insert(id) }
            declarationsChanged = false
        }
        var scope = stale
        if domainsDirty {
            let domains = try DomainDirectory.read(hypervisor: hypervisor, store: store, known: observation.domains)
            scope.formUnion(
                Self.regions(affectedBy: observation.domains, domains, desired: desired, records: recordsByDomid))
            observation.domains = domains
            domainsDirty = false
            read.append("domains")
        }
        if indexDirty {
            let indexed = try reader.readIndex()
            scope.formUnion(indexed.symmetricDifference(observation.actual.indexed))
            observation.actual.indexed = indexed
            indexDirty = false
        }
        try reload(stale, into: &observation.actual, reader: reader)
        known.formUnion(stale)
        dirty = []
        if !stale.isEmpty { read.append("records=\(stale.count)") }
        lastRefresh = read.isEmpty ? "none" : read.joined(separator: ",")
        self.observation = observation
        return (observation, scope)
    }

    /// Replaces the records of `ids`, their permissions and their members' views with what xenstore holds now.
    private mutating func reload(_ ids: Set<RegionID>, into actual: inout ActualState, reader: RecordReader) throws {
        let read = try reader.readRecords(ids.sorted())
        for id in ids {
            actual.recordPermissions[id] = nil
            if let old = actual.records.removeValue(forKey: id) {
                for domid in old.roleDomids {
                    actual.views[RoleNode(domid: domid, id: id)] = nil
                    recordsByDomid[domid]?.remove(id)
                    if recordsByDomid[domid]?.isEmpty == true { recordsByDomid[domid] = nil }
                }
            }
        }
        recordsByDomid.merge(Self.index(read.records.values)) { $0.union($1) }
        actual.records.merge(read.records) { _, new in new }
        actual.views.merge(read.views) { _, new in new }
        actual.recordPermissions.merge(read.permissions) { _, new in new }
    }

    /// The records that list each domid, as owner or borrower.
    static func index(_ records: some Sequence<RegionRecord>) -> [DomID: Set<RegionID>] {
        var index: [DomID: Set<RegionID>] = [:]
        for record in records {
            for domid in record.roleDomids { index[domid, default: []].insert(record.id) }
        }
        return index
    }

    /// The regions a change of the domain list can affect: those whose manifest names a domain (by name or domid)
    /// that appeared, went, or changed, and those whose record lists such a domid (`records`: ``index(_:)``).
    /// Looked up in both indexes: the work follows the domains that changed, not the host's regions.
    static func regions(
        affectedBy old: DomainTable, _ new: DomainTable, desired: DesiredState, records: [DomID: Set<RegionID>]
    ) -> Set<RegionID> {
        guard old != new else { return [] }
        var domids: Set<DomID> = []
        var names: Set<String> = []
        for domid in Set(old.all.map(\.domid)).union(new.all.map(\.domid)) where old.domain(domid) != new.domain(domid)
        {
            domids.insert(domid)
            if let name = old.domain(domid)?.name { names.insert(name) }
            if let name = new.domain(domid)?.name { names.insert(name) }
        }
        var affected: Set<RegionID> = []
        for reference in names.map(DomainRef.name) + domids.map(DomainRef.id) {
            affected.formUnion(desired.regionsByDomain[reference] ?? [])
        }
        for domid in domids { affected.formUnion(records[domid] ?? []) }
        return affected
    }
}
