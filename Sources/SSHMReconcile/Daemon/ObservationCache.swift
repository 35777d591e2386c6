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
    }

    package private(set) var observation: Observation?
    /// What the last refresh read: `full`, or `domains` and/or `records=N`, for the daemon's debug log.
    package private(set) var lastRefresh = ""

    /// Every id read at least once (present or not), so that newly declared ids get read.
    private var known: Set<RegionID> = []
    private var dirty: Set<RegionID> = []
    private var fullRead = true
    private var domainsDirty = true
    private var indexDirty = false

    package init() {}

    /// Forgets everything: the next refresh reads it all again.
    package mutating func invalidate() {
        fullRead = true
    }

    package mutating func markDomainsChanged() { domainsDirty = true }

    package mutating func markChanged(_ ids: some Sequence<RegionID>) { dirty.formUnion(ids) }

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

    /// Brings the cache up to date and returns it.
    /// - Parameter declared: ids the manifests declare now.
    package mutating func refresh(
        declared: Set<RegionID>, store: any XenStore, hypervisor: any Hypervisor, logger: Logger, scanAll: Bool
    ) throws -> Observation {
        let reader = RecordReader(store: store, logger: logger)
        guard !fullRead, var observation else {
            let info = try hypervisor.info()
            let domains = try DomainDirectory.read(hypervisor: hypervisor, store: store)
            let actual = try reader.readActual(declared: declared, scanAll: scanAll)
            let fresh = Observation(actual: actual, domains: domains, hypervisor: info)
            observation = fresh
            known = declared.union(actual.records.keys).union(actual.indexed)
            dirty = []
            fullRead = false
            domainsDirty = false
            indexDirty = false
            lastRefresh = "full"
            return fresh
        }
        var read: [String] = []
        if domainsDirty {
            observation.domains = try DomainDirectory.read(hypervisor: hypervisor, store: store)
            domainsDirty = false
            read.append("domains")
        }
        if indexDirty {
            observation.actual.indexed = try reader.readIndex()
            indexDirty = false
        }
        let stale = dirty.union(declared.subtracting(known))
        for id in stale {
            try reload(id, into: &observation.actual, reader: reader)
        }
        known.formUnion(stale)
        dirty = []
        if !stale.isEmpty { read.append("records=\(stale.count)") }
        lastRefresh = read.isEmpty ? "none" : read.joined(separator: ",")
        self.observation = observation
        return observation
    }

    private func reload(_ id: RegionID, into actual: inout ActualState, reader: RecordReader) throws {
        actual.roles = actual.roles.filter { $0.key.id != id }
        guard let record = try reader.readRecord(id, in: nil) else {
            actual.records[id] = nil
            return
        }
        actual.records[id] = record
        actual.roles.merge(try reader.readRoles(of: record)) { _, new in new }
    }
}
