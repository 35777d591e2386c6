/// A domain as the planner sees it: the hypervisor's identity plus the name the toolstack wrote.
package struct Domain: Hashable, Sendable {
    package var domid: DomID
    package var uuid: DomainUUID
    /// From `/local/domain/<domid>/name`; `nil` when absent or unreadable.
    package var name: String?
    /// Running (not dying, not shut down): only running domains are mapped into or out of.
    package var isRunning: Bool

    package init(domid: DomID, uuid: DomainUUID, name: String?, isRunning: Bool = true) {
        self.domid = domid
        self.uuid = uuid
        self.name = name
        self.isRunning = isRunning
    }

    /// `logger-vm (dom5)`, or `dom5` when the domain has no name.
    package var label: String { name.map { "\($0) (dom\(domid))" } ?? "dom\(domid)" }
}

/// The domains that exist now, indexed for resolving manifests' domain references and records' identities.
package struct DomainTable: Hashable, Sendable {
    package enum Resolution: Hashable, Sendable {
        case found(Domain)
        /// No running domain answers to the reference: the region waits.
        case missing
        /// Several running domains carry the name.
        case ambiguous([DomID])
    }

    private var byDomID: [DomID: Domain]
    private var byName: [String: [DomID]]
    private var byUUID: [DomainUUID: DomID]

    package init(_ domains: [Domain]) {
        byDomID = [:]
        byName = [:]
        byUUID = [:]
        for domain in domains.sorted(by: { $0.domid < $1.domid }) {
            byDomID[domain.domid] = domain
            guard domain.isRunning else { continue }
            if let name = domain.name { byName[name, default: []].append(domain.domid) }
            if byUUID[domain.uuid] == nil { byUUID[domain.uuid] = domain.domid }
        }
    }

    package var all: [Domain] { byDomID.values.sorted { $0.domid < $1.domid } }

    /// The domain holding `domid` now, running or not.
    package func domain(_ domid: DomID) -> Domain? { byDomID[domid] }

    /// The running domain with this UUID (after a reboot or restore it may have a new domid).
    package func running(uuid: DomainUUID) -> Domain? { byUUID[uuid].flatMap { byDomID[$0] } }

    /// Resolves a manifest's reference to a running domain.
    package func resolve(_ reference: DomainRef) -> Resolution {
        switch reference {
        case .id(let domid):
            guard let domain = byDomID[domid], domain.isRunning else { return .missing }
            return .found(domain)
        case .name(let name):
            guard let ids = byName[name], let first = ids.first else { return .missing }
            guard ids.count == 1, let domain = byDomID[first] else { return .ambiguous(ids) }
            return .found(domain)
        }
    }

    /// Whether the domain a record entry names (domid + the UUID it recorded) still exists as the same domain.
    /// An entry without a UUID (written by libxl) is matched on the domid alone.
    package func isAlive(_ domid: DomID, uuid: DomainUUID?) -> Bool {
        guard let domain = byDomID[domid], domain.isRunning else { return false }
        return uuid.map { $0 == domain.uuid } ?? true
    }
}
