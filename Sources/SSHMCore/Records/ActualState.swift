/// A `/local/domain/<domid>/static_shm/<id>/role` node.
package struct RoleNode: Hashable, Comparable, Sendable {
    package var domid: DomID
    package var id: RegionID

    package init(domid: DomID, id: RegionID) {
        self.domid = domid
        self.id = id
    }

    package static func < (lhs: RoleNode, rhs: RoleNode) -> Bool { (lhs.id, lhs.domid) < (rhs.id, rhs.domid) }
}

/// What xenstore holds: the input of the planner on the "actual" side.
package struct ActualState: Hashable, Sendable {
    /// Every record read, managed or not.
    package var records: [RegionID: RegionRecord]
    /// Ids with an entry in the sharded index.
    package var indexed: Set<RegionID>
    /// Values of the role nodes of every domain named in a record (absent nodes are absent here).
    package var roles: [RoleNode: String]

    package init(records: [RegionID: RegionRecord] = [:], indexed: Set<RegionID> = [], roles: [RoleNode: String] = [:])
    {
        self.records = records
        self.indexed = indexed
        self.roles = roles
    }
}
