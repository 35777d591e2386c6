/// The names xenstore gives the domains that exist now (`/local/domain/<domid>/name`): what relates a manifest's
/// domain name to a domid.
package struct DomainNames: Hashable, Sendable {
    private var byDomID: [DomID: String]

    package init(_ byDomID: [DomID: String]) { self.byDomID = byDomID }

    package func name(of domid: DomID) -> String? { byDomID[domid] }

    /// Every domain carrying `name`, lowest domid first (a dying domain and its successor can share one).
    package func domids(named name: String) -> [DomID] {
        byDomID.filter { $0.value == name }.map(\.key).sorted()
    }

    /// Whether `reference` names a domain that exists now.
    package func contains(_ reference: DomainRef) -> Bool {
        switch reference.canonical {
        case .id(let domid): byDomID[domid] != nil
        case .name(let name): byDomID.values.contains(name)
        }
    }

    /// Whether `reference` and `other` are the same domain: `nil` when that takes a name and a domid that this
    /// table (or its absence) cannot relate. Domain-0 and domid 0 need no table.
    package static func same(_ reference: DomainRef, _ other: DomainRef, names: DomainNames?) -> Bool? {
        let (left, right) = (reference.canonical, other.canonical)
        if left == right { return true }
        switch (left, right) {
        case (.name, .name), (.id, .id):
            return false
        case (.id(let domid), .name(let name)), (.name(let name), .id(let domid)):
            // The toolstack always names domid 0 Domain-0, and `canonical` has made that name domid 0.
            if domid == .dom0 { return false }
            guard let names else { return nil }
            return names.name(of: domid) == name
        }
    }
}
