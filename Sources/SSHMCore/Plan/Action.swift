/// The owner side of a record as it must be written.
package struct OwnerTarget: Hashable, Sendable {
    package var domain: Domain
    package var begin: GuestAddress
    package var size: ByteSize
    package var prot: Prot
    package var cachePolicy: CachePolicy
    package var source: String

    package init(
        domain: Domain, begin: GuestAddress, size: ByteSize, prot: Prot, cachePolicy: CachePolicy, source: String
    ) {
        self.domain = domain
        self.begin = begin
        self.size = size
        self.prot = prot
        self.cachePolicy = cachePolicy
        self.source = source
    }
}

/// One borrower as it must be mapped and recorded.
package struct BorrowerTarget: Hashable, Sendable {
    package var domain: Domain
    package var owner: DomID
    package var begin: GuestAddress
    package var size: ByteSize
    package var offset: Offset
    package var prot: Prot
    /// The owner's first frame this borrower sees: owner begin + offset.
    package var ownerFirstGFN: UInt64
    /// The region's, for the borrower's view (the record keeps it in the header only).
    package var cachePolicy: CachePolicy
    /// The pair has a doorbell (docs/guest-view.md); it changes nothing about the mapping.
    package var doorbell: Bool

    package init(
        domain: Domain, owner: DomID, begin: GuestAddress, size: ByteSize, offset: Offset, prot: Prot,
        ownerFirstGFN: UInt64, cachePolicy: CachePolicy, doorbell: Bool = false
    ) {
        self.domain = domain
        self.owner = owner
        self.begin = begin
        self.size = size
        self.offset = offset
        self.prot = prot
        self.ownerFirstGFN = ownerFirstGFN
        self.cachePolicy = cachePolicy
        self.doorbell = doorbell
    }

    package var frames: Range<UInt64> { begin.gfn..<(begin.gfn + size.pages) }
}

/// Pages of a borrower to unmap, and the entry to remove afterwards.
package struct UnmapTarget: Hashable, Sendable {
    package var domid: DomID
    /// The borrower frames that may be mapped: the whole recorded range (ENOENT on a page is fine).
    package var frames: Range<UInt64>

    package init(domid: DomID, frames: Range<UInt64>) {
        self.domid = domid
        self.frames = frames
    }
}

/// One effect the executor carries out. Steps are idempotent: running one twice, or after a crash half-way,
/// converges to the same place.
package enum Step: Hashable, Sendable {
    /// Write the header (owner fields, `manager`, `source`, UUID) with permissions `n0`, the index entry and the
    /// owner's view.
    case writeOwner(OwnerTarget)
    /// Intent (`state=mapping`) → map in chunks → `state=mapped` and `usercnt`; on failure unmap exactly what was
    /// mapped and drop the intent.
    case map(BorrowerTarget)
    /// `state=unmapping` → unmap page by page (ENOENT = already unmapped) → remove the entry and its view.
    case unmap(UnmapTarget)
    /// Remove an entry whose domain is gone: nothing to unmap, the domain's memory went with it.
    case forget(DomID)
    /// Rewrite an entry's recorded fields (prot, UUID, state) without touching its pages.
    case rewriteBorrower(BorrowerTarget)
    /// Rewrite a member's view (docs/guest-view.md): these leaves and every node's permissions, and remove what
    /// does not belong there. An owner's `peer` and `state` are written by the transaction from the entries.
    case writeView(GuestView)
    /// Remove the view (role node included) left on a domain that no longer takes part (a previous owner).
    case removeRole(DomID)
    /// Recompute `usercnt` from the entries.
    case fixUsercnt
    /// Add the id to the sharded index.
    case writeIndex
    /// Remove the index entry only (no record behind it).
    case removeIndex
    /// Remove the record, its index entry and the owner's view (every borrower is already unmapped).
    case removeRecord(owner: DomID?)
}

/// A planned change, as people read it in `plan` output, with the steps that carry it out.
package struct Action: Hashable, Sendable {
    package enum Kind: String, CaseIterable, Sendable {
        case map
        case unmap
        case remap
        case repair
        case gc
        case prune

        /// Terraform-like marker.
        package var symbol: String {
            switch self {
            case .map: "+"
            case .unmap, .gc, .prune: "-"
            case .remap: "-/+"
            case .repair: "~"
            }
        }
    }

    package var kind: Kind
    package var region: RegionID
    /// Spelling of the record the steps write (an existing record keeps its own).
    package var dialect: RecordDialect
    /// What the action is about, e.g. `borrower logger-vm (dom5)`.
    package var subject: String
    /// Why or what exactly, e.g. `0x1000000000, 256 pages from sensor-vm (dom3) 0x7fe00000`.
    package var detail: String
    package var steps: [Step]

    package init(
        kind: Kind, region: RegionID, dialect: RecordDialect = .masterSlave, subject: String, detail: String,
        steps: [Step]
    ) {
        self.kind = kind
        self.region = region
        self.dialect = dialect
        self.subject = subject
        self.detail = detail
        self.steps = steps
    }

    /// `+ map telemetry: borrower logger-vm (dom5) …`.
    package var line: String {
        "\(kind.symbol) \(kind.rawValue) \(region): \(subject)\(detail.isEmpty ? "" : ": \(detail)")"
    }
}

/// The result of planning: per region, in id order, the actions and the parts that carry them out, and what each
/// region becomes if they all succeed.
package struct Plan: Hashable, Sendable {
    package var regions: [RegionPlan]
    /// The condition each region known to the plan reaches once every action succeeded.
    package var outlook: [RegionID: RegionCondition]
    /// Things the operator should know that are not actions (e.g. "pruning nothing: the config dir is empty").
    package var notes: [String]

    package init(regions: [RegionPlan] = [], outlook: [RegionID: RegionCondition] = [:], notes: [String] = []) {
        self.regions = regions
        self.outlook = outlook
        self.notes = notes
    }

    /// A plan of `actions`, grouped into region plans in region id order.
    package init(actions: [Action], outlook: [RegionID: RegionCondition] = [:], notes: [String] = []) {
        let regions = Dictionary(grouping: actions, by: \.region).sorted { $0.key < $1.key }
        self.init(regions: regions.map { RegionPlan(id: $0.key, actions: $0.value) }, outlook: outlook, notes: notes)
    }

    /// Every action, in execution order (regions in id order).
    package var actions: [Action] { regions.flatMap(\.actions) }

    package var isEmpty: Bool { regions.isEmpty }

    /// How many actions of each kind.
    package var counts: [Action.Kind: Int] {
        var counts: [Action.Kind: Int] = [:]
        for region in regions { for action in region.actions { counts[action.kind, default: 0] += 1 } }
        return counts
    }
}
