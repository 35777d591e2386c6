/// An item of a region plan's part, with the action it carries out (its position in ``RegionPlan/actions``): when
/// that action fails, the later parts skip its items.
package struct Planned<Item: Hashable & Sendable>: Hashable, Sendable {
    package var action: Int
    package var item: Item

    package init(action: Int, item: Item) {
        self.action = action
        self.item = item
    }
}

/// One region's share of a plan: its actions, as `plan` shows them, and the parts the executor runs, in the order it
/// runs them (docs/design.md, "Per-region plans").
package struct RegionPlan: Hashable, Sendable {
    package var id: RegionID
    /// Spelling of the record the parts write (an existing record keeps its own).
    package var dialect: RecordDialect
    package var actions: [Action]
    /// The running owner whose view's `peer` and `state` every transaction that changes entries rewrites; `nil` when
    /// it is gone or unknown.
    package var viewOwner: DomID?

    /// 1. Teardown: live borrowers to unmap, and entries of domains that are gone to forget.
    package var unmaps: [Planned<UnmapTarget>] = []
    package var forgets: [Planned<DomID>] = []
    /// 2. Record edits written with the intents, in one transaction: header, rewrites, views, index, `usercnt`.
    package var edits: [Planned<Step>] = []
    /// 3. Borrowers to map (their intents go in the edits' transaction); 4. their outcome is recorded after.
    package var maps: [Planned<BorrowerTarget>] = []
    /// 5. Records to remove once no entry is left, with the owner whose view goes with them.
    package var removals: [Planned<DomID?>] = []

    /// Sorts the actions' steps into the parts, once. A new kind of step must say here which part it belongs to.
    /// - Parameter viewOwner: see ``viewOwner``; by default the owner the steps name.
    package init(id: RegionID, actions: [Action], viewOwner: DomID? = nil) {
        self.id = id
        self.viewOwner = viewOwner
        self.dialect = actions.first?.dialect ?? .masterSlave
        self.actions = actions
        for (index, action) in actions.enumerated() {
            for step in action.steps {
                switch step {
                case .unmap(let target): unmaps.append(Planned(action: index, item: target))
                case .forget(let domid): forgets.append(Planned(action: index, item: domid))
                case .map(let target):
                    maps.append(Planned(action: index, item: target))
                    self.viewOwner = self.viewOwner ?? target.owner
                case .removeRecord(let owner): removals.append(Planned(action: index, item: owner))
                case .writeOwner, .rewriteBorrower, .writeView, .removeRole, .fixUsercnt, .writeIndex, .removeIndex:
                    edits.append(Planned(action: index, item: step))
                    switch step {
                    case .writeOwner(let owner): self.viewOwner = self.viewOwner ?? owner.domain.domid
                    case .rewriteBorrower(let target): self.viewOwner = self.viewOwner ?? target.owner
                    default: break
                    }
                }
            }
        }
    }

    /// Whether the region has only edits, intents, maps and their outcome, so that its transactions can be shared
    /// with other regions'.
    package var hasOnlyUpdates: Bool { unmaps.isEmpty && forgets.isEmpty && removals.isEmpty }

    /// The owner of a record this plan writes the header of.
    package var writtenOwner: DomID? {
        for edit in edits { if case .writeOwner(let owner) = edit.item { return owner.domain.domid } }
        return nil
    }
}
