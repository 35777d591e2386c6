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

    /// Whether `reference` and `other` are the same domain, by what xenstore says now.
    package func same(_ reference: DomainRef, _ other: DomainRef) -> Bool {
        Self.same(reference, other)
            ?? {
                switch (reference.canonical, other.canonical) {
                case (.id(let domid), .name(let name)), (.name(let name), .id(let domid)): byDomID[domid] == name
                default: false
                }
            }()
    }

    /// Whether `reference` and `other` are the same domain, by the references alone: `nil` for a name and a domid,
    /// which only xenstore can relate, unless the domid is 0 (the toolstack always names it Domain-0).
    package static func same(_ reference: DomainRef, _ other: DomainRef) -> Bool? {
        let (left, right) = (reference.canonical, other.canonical)
        if left == right { return true }
        switch (left, right) {
        case (.name, .name), (.id, .id): return false
        // `canonical` has made the name Domain-0 domid 0: any name left is another domain's.
        case (.id(.dom0), .name), (.name, .id(.dom0)): return false
        case (.id, .name), (.name, .id): return nil
        }
    }
}
