/// The value of `slaves/<domid>/state`: our write-ahead intent.
package enum BorrowerState: String, Sendable {
    /// Written before the first page is mapped: some pages may be mapped, the record is not trusted yet.
    case mapping
    /// Every page is mapped and `usercnt` counts the borrower.
    case mapped
    /// Written before the first page is unmapped: some pages may still be mapped.
    case unmapping
}

/// One borrower entry of a region record, as read back. Every field is optional: a missing or malformed node is
/// recorded as `nil` plus a problem, and the planner repairs it.
package struct BorrowerRecord: Hashable, Sendable {
    package var domid: DomID
    package var begin: GuestAddress?
    package var size: ByteSize?
    package var offset: Offset?
    package var prot: Prot?
    package var uuid: DomainUUID?
    /// `nil` when the node is absent: records written by libxl have no state and mean "mapped".
    package var state: BorrowerState?
    /// What is wrong with the entry, one phrase each (`size "0x12" is not page-aligned`).
    package var problems: [String]

    package init(
        domid: DomID, begin: GuestAddress? = nil, size: ByteSize? = nil, offset: Offset? = nil, prot: Prot? = nil,
        uuid: DomainUUID? = nil, state: BorrowerState? = nil, problems: [String] = []
    ) {
        self.domid = domid
        self.begin = begin
        self.size = size
        self.offset = offset
        self.prot = prot
        self.uuid = uuid
        self.state = state
        self.problems = problems
    }

    /// The borrower frames this entry claims, when its begin and size are readable.
    package var frames: Range<UInt64>? {
        guard let begin, let size else { return nil }
        let (end, overflow) = begin.gfn.addingReportingOverflow(size.pages)
        return overflow ? nil : begin.gfn..<end
    }

    /// Whether the entry says its pages are all mapped (an absent state is libxl's "mapped").
    package var isMapped: Bool { state == nil || state == .mapped }
}

/// A region record under `/libxl/static_shm/<id>`, as read back: tolerant of anything a crash, libxl or a person
/// may have left there.
package struct RegionRecord: Hashable, Sendable {
    /// The value of `manager` in records this tool owns.
    package static let managerName = "sshm-reconcile"

    package var id: RegionID
    package var dialect: RecordDialect
    package var owner: DomID?
    package var begin: GuestAddress?
    package var size: ByteSize?
    package var prot: Prot?
    package var cachePolicy: CachePolicy?
    /// The seed's reference count: 1 (the owner) + borrowers mapped.
    package var usercnt: Int?
    package var manager: String?
    package var source: String?
    package var ownerUUID: DomainUUID?
    package var borrowers: [DomID: BorrowerRecord]
    package var problems: [String]

    package init(
        id: RegionID, dialect: RecordDialect = .masterSlave, owner: DomID? = nil, begin: GuestAddress? = nil,
        size: ByteSize? = nil, prot: Prot? = nil, cachePolicy: CachePolicy? = nil, usercnt: Int? = nil,
        manager: String? = nil, source: String? = nil, ownerUUID: DomainUUID? = nil,
        borrowers: [DomID: BorrowerRecord] = [:], problems: [String] = []
    ) {
        self.id = id
        self.dialect = dialect
        self.owner = owner
        self.begin = begin
        self.size = size
        self.prot = prot
        self.cachePolicy = cachePolicy
        self.usercnt = usercnt
        self.manager = manager
        self.source = source
        self.ownerUUID = ownerUUID
        self.borrowers = borrowers
        self.problems = problems
    }

    /// Written by this tool (or adopted by it).
    package var isManaged: Bool { manager == Self.managerName }

    /// The domains with a view of this region (docs/guest-view.md): the owner, then the borrowers in order.
    package var roleDomids: [DomID] { [owner].compactMap { $0 } + borrowers.keys.sorted() }

    /// What `usercnt` must say: the owner plus every borrower whose pages are all mapped.
    package var expectedUsercnt: Int { 1 + borrowers.values.filter { $0.state == .mapped || $0.state == nil }.count }
}
