/// One region as one domain sees it: its own guest-physical range, its part, and where in the owner's pages it
/// starts. What `export` describes to a guest.
package struct GuestRegion: Hashable, Sendable {
    package var id: RegionID
    package var role: Role
    /// Where this domain's guest-physical map holds the region (the owner's `begin` or this borrower's).
    package var address: GuestAddress
    /// How much of it this domain sees.
    package var size: ByteSize
    /// Where this domain's view starts in the owner's pages: zero for the owner.
    package var offset: Offset
    package var prot: Prot
    /// The owner as the manifest names it.
    package var owner: DomainRef
    /// The domains this one shares a doorbell with in this region, as the manifest names them: for the owner, each
    /// borrower with `doorbell: true`; for a borrower with one, its owner. Each pair meets through the guest views.
    package var doorbellPeers: [DomainRef]
    /// Where the region's `id` was written.
    package var location: SourceLocation

    package init(
        id: RegionID, role: Role, address: GuestAddress, size: ByteSize, offset: Offset, prot: Prot,
        owner: DomainRef, doorbellPeers: [DomainRef] = [], location: SourceLocation
    ) {
        self.id = id
        self.role = role
        self.address = address
        self.size = size
        self.offset = offset
        self.prot = prot
        self.owner = owner
        self.doorbellPeers = doorbellPeers
        self.location = location
    }

    /// The owner's view of `region`.
    package init(owning region: Region) {
        self.init(
            id: region.id, role: .owner, address: region.owner.begin, size: region.owner.size, offset: .zero,
            prot: region.owner.prot, owner: region.owner.domain,
            doorbellPeers: region.borrowers.filter(\.doorbell).map(\.domain), location: region.location)
    }

    /// A borrower's view of `region`.
    package init(borrowing region: Region, as borrower: BorrowerSpec) {
        self.init(
            id: region.id, role: .borrower, address: borrower.begin, size: borrower.size, offset: borrower.offset,
            prot: borrower.prot, owner: region.owner.domain,
            doorbellPeers: borrower.doorbell ? [region.owner.domain] : [], location: region.location)
    }

    /// Whether this domain has a doorbell in this region, with at least one peer.
    package var hasDoorbell: Bool { !doorbellPeers.isEmpty }
}

/// What an export describes: one domain's regions, and how the domain was named and resolved.
package struct GuestDescription: Hashable, Sendable {
    /// The domain as the command named it.
    package var domain: DomainRef
    /// Its name, when the command gave it or xenstore told it.
    package var name: String?
    /// Its domid, when the command gave it or xenstore told it.
    package var domid: DomID?
    /// The directory the manifests came from.
    package var configDirectory: String
    /// Ordered by address.
    package var regions: [GuestRegion]

    package init(domain: DomainRef, names: DomainNames?, configDirectory: String, regions: [GuestRegion]) {
        self.domain = domain
        switch domain.canonical {
        case .name(let name):
            self.name = name
            let domids = names?.domids(named: name) ?? []
            domid = domids.count == 1 ? domids.first : nil
        case .id(let id):
            domid = id
            name = names?.name(of: id) ?? (id == .dom0 ? DomainRef.dom0Name : nil)
        }
        self.configDirectory = configDirectory
        self.regions = regions.sorted { ($0.address, $0.id) < ($1.address, $1.id) }
    }
}
