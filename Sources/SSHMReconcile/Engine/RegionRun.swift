import Logging
import SSHMCore

/// The execution of one region plan's parts, in their order (docs/design.md, "Per-region plans"; see ``Executor``).
struct RegionRun {
    let plan: RegionPlan
    let executor: Executor
    private(set) var outcome = RegionOutcome()
    private(set) var hypercalls = 0

    init(plan: RegionPlan, executor: Executor) {
        self.plan = plan
        self.executor = executor
    }

    var id: RegionID { plan.id }
    private var store: any XenStore { executor.store }
    private var mapper: PageMapper {
        var mapper = PageMapper(hypervisor: executor.hypervisor, space: executor.space)
        mapper.chunk = executor.chunk
        return mapper
    }

    /// The items of `part` whose action has not failed.
    private func pending<Item>(_ part: [Planned<Item>]) -> [Planned<Item>] {
        part.filter { outcome.failures[$0.action] == nil }
    }

    mutating func failAll(_ failure: ActionFailure) {
        for index in plan.actions.indices where outcome.failures[index] == nil { outcome.failures[index] = failure }
    }

    /// Marks every action failed with the condition `error` gives.
    mutating func failAll(_ error: any Error) {
        failAll(executor.failure(for: error, region: id))
    }

    /// - Parameter leftover: pages a failed map left mapped; they make the failure retriable, so that the next
    ///   pass recovers the intent and unmaps them.
    private mutating func fail(_ index: Int, _ error: any Error, leftover: String? = nil) {
        var failure = executor.failure(for: error, region: id)
        if let leftover {
            failure.message += failure.message.hasSuffix(".") ? " Also, \(leftover)." : "; also, \(leftover)"
            failure.isTerminal = false
            executor.logger.error("\(leftover)", metadata: ["region": "\(id)", "action": "map"])
        }
        if outcome.failures[index] == nil { outcome.failures[index] = failure }
        executor.logger.debug(
            "\(failure.message)", metadata: ["region": "\(id)", "action": "\(plan.actions[index].kind.rawValue)"])
    }

    /// Runs `body` in a retried transaction. The body reads inside the transaction every node it bases a decision
    /// on: oxenstored commits a transaction whose written nodes changed meanwhile unless it also read them (see
    /// the contract's `blindWritesMayMerge`).
    func transaction<T>(_ body: (_ record: RecordWriter) throws -> T) throws -> T {
        try withTransaction(store, policy: executor.retry) { tx in try body(writer(tx)) }
    }

    /// A writer of this region's record in `tx`.
    func writer(_ tx: XenStoreTransaction) -> RecordWriter {
        RecordWriter(store: store, tx: tx, id: id, dialect: plan.dialect)
    }

    /// Runs every part of this region on its own; a failure marks its actions failed.
    /// - Throws: only when xenstore went away.
    mutating func executeAlone() throws {
        if case .failure(let error) = try XenStoreError.separatingOutage({
            try teardown()
            try update()
            try removeRecords()
        }) {
            failAll(error)
        }
    }

    // MARK: Part 1: teardown (unmap and forget)

    /// The owner whose view the teardown's transactions update: the plan's, unless the record names another (the
    /// region moves to a new owner, whose view the intent transaction writes whole).
    private func teardownViewOwner(_ record: RecordWriter) throws -> DomID? {
        guard let owner = plan.viewOwner, try record.owner() == owner else { return nil }
        return owner
    }

    private mutating func teardown() throws {
        let targets = pending(plan.unmaps)
        let forgotten = pending(plan.forgets).map(\.item)
        guard !targets.isEmpty || !forgotten.isEmpty else { return }
        if !targets.isEmpty {
            try transaction { record in
                // Reads first, so that the writes go out together with the commit.
                let owner = try teardownViewOwner(record)
                let present = try record.entryDomids()
                let unmapping = targets.map(\.item.domid).filter(present.contains)
                var states = try record.states(present.subtracting(unmapping))
                let usercnt = 1 + RecordWriter.mappedCount(states)
                for domid in unmapping {
                    try record.writeState(domid, .unmapping)
                    states[domid] = .some(BorrowerState.unmapping.rawValue)
                }
                try record.writeUsercnt(usercnt)
                try record.writeOwnerSummary(owner, states)
            }
        }
        var unmapped: [DomID] = []
        for planned in targets {
            do {
                try mapper.unmap(planned.item.domid, planned.item.frames)
                hypercalls += planned.item.frames.count
                unmapped.append(planned.item.domid)
            } catch {
                fail(planned.action, error)
            }
        }
        try transaction { record in
            let remaining = try record.exists() ? try record.entryDomids().subtracting(unmapped + forgotten) : nil
            let states = try remaining.map { try record.states($0) }
            let owner = try remaining.flatMap { _ in try teardownViewOwner(record) }
            for domid in unmapped + forgotten { try record.removeEntry(domid) }
            if let states {
                try record.writeUsercnt(1 + RecordWriter.mappedCount(states))
                try record.writeOwnerSummary(owner, states)
            }
        }
        for domid in unmapped {
            executor.logger.info(
                "unmapped borrower", metadata: ["region": "\(id)", "domid": "\(domid)", "action": "unmap"])
        }
    }

    // MARK: Parts 2–4: edits and intents; maps; outcome

    /// The edits and maps still to run.
    struct Update {
        var edits: [Planned<Step>]
        var maps: [Planned<BorrowerTarget>]
        var writesHeader: Bool { edits.contains { if case .writeOwner = $0.item { true } else { false } } }
        var isEmpty: Bool { edits.isEmpty && maps.isEmpty }
    }

    /// How the maps went.
    struct MapOutcome {
        var mapped: [DomID] = []
        /// Failed and cleanly rolled back: their intents go.
        var dropped: [DomID] = []
        var allTerminal = true
    }

    /// The edits and maps of the actions that have not failed.
    var pendingUpdate: Update { Update(edits: pending(plan.edits), maps: pending(plan.maps)) }

    private mutating func update() throws {
        let update = pendingUpdate
        guard !update.isEmpty else { return }
        let intents = try XenStoreError.separatingOutage {
            try transaction { record in try writeIntents(update, to: record) }
        }
        let written: Intents
        switch intents {
        case .success(let value): written = value
        case .failure(let error):
            failUpdate(update, error)
            return
        }
        let result = mapAll(update)
        guard !update.maps.isEmpty else { return }
        try transaction { record in try writeOutcome(result, of: update, after: written, to: record) }
    }

    /// Marks every action of `update` failed.
    mutating func failUpdate(_ update: Update, _ error: any Error) {
        for index in update.edits.map(\.action) + update.maps.map(\.action) { fail(index, error) }
    }

    /// What the first transaction did, for the final one.
    struct Intents {
        /// The record did not exist before.
        var created: Bool
        /// The owner's `peer` it wrote with the intents: the final transaction leaves it alone if it stays so.
        var ownerPeers: Set<DomID>?
    }

    /// The first transaction's body: repairs, and an intent for every borrower about to be mapped. Reads what it
    /// decides on; changes nothing outside the transaction (it may run again).
    /// - Parameter first: the answer to `record.firstQuery(writesHeader:)`, when the caller read it in this
    ///   transaction already.
    func writeIntents(_ update: Update, to record: RecordWriter, first: XenStoreAnswer? = nil) throws -> Intents {
        let existed: Bool
        if update.writesHeader {
            existed = try first.map { $0.children != nil } ?? record.exists()
        } else {
            // The record must be ours: its `manager` says so, and that it exists, in one read of one node (every
            // node a transaction touches costs the C daemon a copy). The record is listed only when it is not ours,
            // to tell another writer's record from a missing one.
            let manager = try first.map(\.value) ?? record.manager()
            let ours = manager == RegionRecord.managerName
            existed = try ours || record.exists()
            if existed, !ours {
                throw ActionFailure(
                    reason: ConditionReason.conflict,
                    message: "\(record.base) was changed by another writer during the pass; will retry",
                    isTerminal: false)
            }
        }
        if !existed, !update.writesHeader,
            !update.maps.isEmpty || update.edits.contains(where: { $0.item != .removeIndex })
        {
            throw ActionFailure(
                reason: ConditionReason.xenstoreError,
                message: "\(record.base) disappeared during the pass; will retry", isTerminal: false)
        }
        let present = existed ? try record.entryDomids() : []
        // With maps, the final transaction writes the count once they are done; the owner's view waits for them.
        var states = existed && update.maps.isEmpty ? try record.states(present) : [:]
        var wrote = false
        for edit in update.edits {
            wrote = try apply(edit.item, to: record, recordExisted: existed) || wrote
            if case .rewriteBorrower(let target) = edit.item {
                states[target.domain.domid] = .some(BorrowerState.mapped.rawValue)
            }
        }
        for target in update.maps.map(\.item) where !present.contains(target.domain.domid) {
            try record.writeEntry(target, state: .mapping, fresh: true)
        }
        if !update.maps.isEmpty {
            // A borrower is about to be mapped: the owner waits for it, whatever the others' states.
            let peers = present.union(update.maps.map(\.item.domain.domid))
            try record.writeOwnerSummary(
                plan.viewOwner,
                Dictionary(uniqueKeysWithValues: peers.map { ($0, String?.some(BorrowerState.mapping.rawValue)) }),
                inPlace: !existed)
            return Intents(created: !existed, ownerPeers: peers)
        } else if existed || update.writesHeader, wrote {
            // Not when every edit found nothing to write (a view whose domain went meanwhile): rewritten unchanged,
            // `usercnt` and the owner's summary would wake every watcher of the record and of that view for nothing.
            try record.writeUsercnt(1 + RecordWriter.mappedCount(states))
            try record.writeOwnerSummary(plan.viewOwner, states, inPlace: !existed)
        }
        return Intents(created: !existed)
    }

    /// The hypercalls, outside any transaction.
    mutating func mapAll(_ update: Update) -> MapOutcome {
        var result = MapOutcome()
        for planned in update.maps {
            let target = planned.item
            do {
                try mapper.map(target)
                hypercalls += (Int(target.size.pages) + executor.chunk - 1) / executor.chunk
                result.mapped.append(target.domain.domid)
                executor.logger.info(
                    "mapped borrower",
                    metadata: ["region": "\(id)", "domid": "\(target.domain.domid)", "action": "map"])
            } catch {
                hypercalls += 1
                fail(planned.action, error.cause, leftover: error.leftover)
                result.allTerminal = result.allTerminal && (outcome.failures[planned.action]?.isTerminal ?? false)
                if error.rolledBack { result.dropped.append(target.domain.domid) }
            }
        }
        return result
    }

    /// The final transaction on its own, after a shared one failed: a failure stays with this region.
    /// - Throws: only when xenstore went away.
    mutating func finishAlone(_ outcome: MapOutcome, of update: Update, after intents: Intents) throws {
        if case .failure(let error) = try XenStoreError.separatingOutage({
            try transaction { record in try writeOutcome(outcome, of: update, after: intents, to: record) }
        }) {
            failAll(error)
        }
    }

    /// The final transaction's body: mapped borrowers become `mapped`, the intents of the failed ones go, and
    /// `usercnt` counts. A record this pass created for nothing (every borrower refused) leaves no residue.
    func writeOutcome(_ outcome: MapOutcome, of update: Update, after intents: Intents, to record: RecordWriter) throws
    {
        // Read even when everything goes: an entry another writer added meanwhile then makes the commit conflict
        // instead of vanishing with the record (oxenstored merges blind writes).
        let present = try record.entryDomids()
        let refusedAll =
            intents.created && outcome.mapped.isEmpty && outcome.dropped.count == update.maps.count
            && outcome.allTerminal
        if refusedAll {
            for domid in outcome.dropped { try record.removeView(domid) }
            try record.removeRecord(owner: plan.writtenOwner)
            return
        }
        // The entries this pass mapped count without a read; the states of the others are read back, before any
        // write, so that the writes go out together with the commit (docs/design.md, "Transactions on the wire").
        let mapped = Set(outcome.mapped).intersection(present)
        let others = present.subtracting(outcome.dropped).subtracting(mapped)
        var states = try record.states(others)
        for domid in mapped { states[domid] = .some(BorrowerState.mapped.rawValue) }
        for domid in mapped { try record.writeState(domid, .mapped) }
        for domid in outcome.dropped where present.contains(domid) { try record.removeEntry(domid) }
        try record.writeUsercnt(1 + RecordWriter.mappedCount(states))
        try record.writeOwnerSummary(
            plan.viewOwner, states, inPlace: intents.ownerPeers != nil, unlessPeersAre: intents.ownerPeers)
    }

    /// - Returns: whether `step` changes anything.
    private func apply(_ step: Step, to record: RecordWriter, recordExisted: Bool) throws -> Bool {
        switch step {
        case .writeOwner(let owner): try record.writeHeader(owner, fresh: !recordExisted)
        case .rewriteBorrower(let target): try record.writeEntry(target, state: .mapped, fresh: false)
        case .writeView(let view): return try record.repairView(view)
        case .removeRole(let domid): try record.removeView(domid)
        case .writeIndex: try record.writeIndex()
        case .removeIndex: try record.removeIndex()
        case .fixUsercnt: break  // the transaction's end rewrites usercnt
        case .map, .unmap, .forget, .removeRecord: return false
        }
        return true
    }

    // MARK: Part 5: removal

    private mutating func removeRecords() throws {
        for planned in pending(plan.removals) {
            let owner = planned.item
            let removal = try XenStoreError.separatingOutage {
                try transaction { record in
                    guard try record.entryDomids().isEmpty else {
                        throw ActionFailure(
                            reason: ConditionReason.hypervisorError,
                            message:
                                "some borrowers are still mapped; the record stays until they are unmapped",
                            isTerminal: false)
                    }
                    try record.removeRecord(owner: owner)
                }
            }
            switch removal {
            case .success: executor.logger.info("removed record", metadata: ["region": "\(id)", "action": "remove"])
            case .failure(let error): fail(planned.action, error)
            }
        }
    }
}
