/// What `sshm-reconcile wait` waits for: the own part of each domain named, and whole regions.
package struct ReadinessRequest: Hashable, Sendable {
    package var domains: [DomainRef]
    package var regions: [RegionID]
    /// Also wait for each part's doorbells to be connected (docs/guest-view.md, "Doorbell"): a borrower's with its
    /// owner, an owner's with each of its borrowers that has one.
    package var doorbell: Bool

    package init(domains: [DomainRef] = [], regions: [RegionID] = [], doorbell: Bool = false) {
        self.domains = domains
        self.regions = regions
        self.doorbell = doorbell
    }
}

/// The value of a guest view's `state` node, `/local/domain/<domid>/static_shm/<id>/state`.
package enum ViewState: String, Hashable, Sendable {
    /// Borrower: written with the intent, before the first page is mapped.
    case mapping
    /// Borrower: written with the outcome, after every page is mapped.
    case mapped
    /// Borrower: written before the first page is unmapped.
    case unmapping
    /// Owner: some borrower is not mapped yet.
    case waiting
    /// Owner: every borrower is mapped.
    case ready

    /// Longest value read as a state: anything longer is not one, whatever it starts with.
    static let maxLength = 16

    /// Parses a node's value strictly; `nil` for anything but the five words.
    package init?(node value: String) {
        guard value.utf8.count <= Self.maxLength else { return nil }
        self.init(rawValue: value)
    }
}

/// What the host holds now, as far as a wait needs it.
package struct ReadinessObservation: Hashable, Sendable {
    package var domains: DomainTable
    /// The records of the regions in scope that exist.
    package var records: [RegionID: RegionRecord]
    /// The view `state` nodes of the parts in scope that exist, as read (bounded by ``ViewState/init(node:)``).
    package var views: [RoleNode: String]
    /// The conditions file of the state dir.
    package var conditions: [RegionID: RegionCondition]
    /// The map spaces a pass may have planned with (every `--map-space` spelling): a `Failed` condition counts only
    /// when its fingerprint is that of the domains running now with one of them; otherwise it is about domains that
    /// are gone, and the next pass tries again.
    package var mapSpaces: [String]
    /// The doorbells of the regions in scope, by region and borrower, as ``DoorbellVerdict`` judges them.
    package var doorbells: [RegionID: [DomID: DoorbellState]] = [:]

    package init(
        domains: DomainTable, records: [RegionID: RegionRecord] = [:], views: [RoleNode: String] = [:],
        conditions: [RegionID: RegionCondition] = [:], mapSpaces: [String] = ["auto", "share", "foreign"]
    ) {
        self.domains = domains
        self.records = records
        self.views = views
        self.conditions = conditions
        self.mapSpaces = mapSpaces
    }
}

/// One member domain's own part of a region.
package struct ReadinessPart: Hashable, Comparable, Sendable {
    package enum Role: String, Hashable, Sendable {
        case owner
        case borrower
    }

    package var region: RegionID
    package var domain: Domain
    package var role: Role

    package init(region: RegionID, domain: Domain, role: Role) {
        self.region = region
        self.domain = domain
        self.role = role
    }

    /// Its view node, `/local/domain/<domid>/static_shm/<id>`.
    package var view: RoleNode { RoleNode(domid: domain.domid, id: region) }

    package var description: String { "\(region): \(role.rawValue) \(domain.label)" }

    package static func < (lhs: ReadinessPart, rhs: ReadinessPart) -> Bool {
        (lhs.region, lhs.domain.domid, lhs.role.rawValue) < (rhs.region, rhs.domain.domid, rhs.role.rawValue)
    }
}
