/// The owner's `state` in its view: `ready` once every borrower in the record is mapped.
package enum OwnerViewState: String, Sendable {
    case waiting
    case ready
}

/// One leaf of a member's view, as it must be written.
package struct ViewLeaf: Hashable, Sendable {
    package var name: String
    package var value: String

    package init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// The read-only view of a region in a member domain's own tree, `/local/domain/<domid>/static_shm/<id>/`
/// (docs/guest-view.md): a stable interface for guest authors, written in the transactions that change the record
/// it describes, every node with permissions exactly `n0,r<domid>`.
package struct GuestView: Hashable, Sendable {
    /// Every leaf a view holds, in the order they are written and documented.
    package static let leafNames = ["role", "begin", "size", "offset", "prot", "cache_policy", "peer", "state"]
    /// The owner's leaves that only its record header decides; `peer` and `state` summarise the borrowers.
    package static let ownerStaticNames = Array(leafNames.prefix(6))
    /// The doorbells' subtree, which the doorbell step keeps (``DoorbellTree``), never a record transaction.
    package static let doorbellName = "doorbell"

    /// A child a view may have: one of its leaves, or the doorbells' subtree.
    package static func belongs(_ child: String) -> Bool { child == doorbellName || leafNames.contains(child) }

    package var domid: DomID
    /// In ``leafNames`` order; an owner's static view leaves out `peer` and `state`.
    package var leaves: [ViewLeaf]

    package init(domid: DomID, leaves: [ViewLeaf]) {
        self.domid = domid
        self.leaves = leaves
    }

    /// `n0,r<domid>`: dom0 owns the node, only that guest reads it, nobody else sees it.
    package static func permissions(of domid: DomID) -> String { "n0,r\(domid.rawValue)" }

    /// The owner's leaves that its record header decides: role, begin, size, offset `0x0`, prot, cache_policy.
    package static func owner(_ target: OwnerTarget, dialect: RecordDialect) -> GuestView {
        GuestView(
            domid: target.domain.domid,
            leaves: [
                ViewLeaf("role", dialect.roleValue(.owner)), ViewLeaf("begin", RecordValue.hex(target.begin.rawValue)),
                ViewLeaf("size", RecordValue.hex(target.size.rawValue)), ViewLeaf("offset", RecordValue.hex(0)),
                ViewLeaf("prot", target.prot.rawValue), ViewLeaf("cache_policy", target.cachePolicy.rawValue),
            ])
    }

    /// A borrower's whole view: where its pages are, from whom, and how far the mapping got.
    package static func borrower(_ target: BorrowerTarget, state: BorrowerState, dialect: RecordDialect) -> GuestView {
        GuestView(
            domid: target.domain.domid,
            leaves: [
                ViewLeaf("role", dialect.roleValue(.borrower)),
                ViewLeaf("begin", RecordValue.hex(target.begin.rawValue)),
                ViewLeaf("size", RecordValue.hex(target.size.rawValue)),
                ViewLeaf("offset", RecordValue.hex(target.offset.rawValue)), ViewLeaf("prot", target.prot.rawValue),
                ViewLeaf("cache_policy", target.cachePolicy.rawValue), ViewLeaf("peer", String(target.owner.rawValue)),
                ViewLeaf("state", state.rawValue),
            ])
    }

    /// The owner's `peer` and `state`, from the borrowers the record lists and their states (`nil`: libxl's entries,
    /// which mean mapped).
    package static func ownerSummary(_ borrowers: [DomID: BorrowerState?]) -> [ViewLeaf] {
        let ready = borrowers.values.allSatisfy { $0 == nil || $0 == .mapped }
        return [
            ViewLeaf("peer", borrowers.keys.sorted().map { String($0.rawValue) }.joined(separator: " ")),
            ViewLeaf("state", (ready ? OwnerViewState.ready : .waiting).rawValue),
        ]
    }
}

/// A member's view as read back: its children, the values of the leaves a view holds, and the permissions of the
/// directory and of each of those leaves, in the `xenstore-ls -p` form (`n0,r5`).
package struct ObservedView: Hashable, Sendable {
    package var children: [String]
    package var values: [String: String]
    /// By leaf name; the directory's under ``directoryKey``.
    package var permissions: [String: String]

    package static let directoryKey = "."

    package init(children: [String] = [], values: [String: String] = [:], permissions: [String: String] = [:]) {
        self.children = children
        self.values = values
        self.permissions = permissions
    }

    /// What differs from `expected` (leaves other than those are not compared, except as unexpected children), one
    /// phrase each: a leaf's value, `permissions`, an unexpected child.
    package func drift(from expected: GuestView) -> [String] {
        var drift: [String] = []
        for leaf in expected.leaves where values[leaf.name] != leaf.value { drift.append(leaf.name) }
        let wanted = GuestView.permissions(of: expected.domid)
        let names = [Self.directoryKey] + expected.leaves.map(\.name)
        if names.contains(where: { permissions[$0] != wanted }) { drift.append("permissions") }
        let unexpected = children.filter { !GuestView.belongs($0) }.sorted()
        drift += unexpected.map { "unexpected \($0)" }
        return drift
    }
}
