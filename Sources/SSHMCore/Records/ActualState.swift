/// A member's view of a region, `/local/domain/<domid>/static_shm/<id>/` (docs/guest-view.md).
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
    /// The views of every domain named in a record (docs/guest-view.md), with their permissions; a view whose
    /// directory is missing is absent here.
    package var views: [RoleNode: ObservedView]
    /// The permissions of each record's node, `n0` when right.
    package var recordPermissions: [RegionID: String]

    package init(
        records: [RegionID: RegionRecord] = [:], indexed: Set<RegionID> = [],
        views: [RoleNode: ObservedView] = [:], recordPermissions: [RegionID: String] = [:]
    ) {
        self.records = records
        self.indexed = indexed
        self.views = views
        self.recordPermissions = recordPermissions
    }
}
