import Logging
import SSHMCore

/// The execution of one region's actions (see ``Executor``).
struct RegionRun {
    let id: RegionID
    let actions: [(index: Int, action: Action)]
    let executor: Executor
    private(set) var failures: [Int: ActionFailure] = [:]
    private(set) var hypercalls = 0

    init(id: RegionID, actions: [(index: Int, action: Action)], executor: Executor) {
        self.id = id
        self.actions = actions
        self.executor = executor
    }

    private var dialect: RecordDialect { actions.first?.action.dialect ?? .masterSlave }
    private var store: any XenStore { executor.store }
    private var mapper: PageMapper {
        var mapper = PageMapper(hypervisor: executor.hypervisor, space: executor.space)
        mapper.chunk = executor.chunk
        return mapper
    }

    /// The steps of actions that have not failed, with their action's index.
    private func steps(where match: (Step) -> Bool) -> [(index: Int, step: Step)] {
        actions.flatMap { entry in
            failures[entry.index] == nil ? entry.action.steps.filter(match).map { (entry.index, $0) } : []
        }
    }

    mutating func failAll(_ failure: ActionFailure) {
        for entry in actions where failures[entry.index] == nil { failures[entry.index] = failure }
    }

    /// Marks every action failed with the condition `error` gives.
    mutating func failAll(_ error: any Error) {
        failAll(Executor.failure(for: error, region: id, info: executor.hypervisorInfo, space: executor.space))
    }

    /// - Parameter leftover: pages a failed map left mapped; they make the failure retriable, so that the next
    ///   pass recovers the intent and unmaps them.
    private mutating func fail(_ index: Int, _ error: any Error, leftover: String? = nil) {
        var failure = Executor.failure(for: error, region: id, info: executor.hypervisorInfo, space: executor.space)
        if let leftover {
            failure.message += failure.message.hasSuffix(".") ? " Also, \(leftover)." : "; also, \(leftover)"
            failure.isTerminal = false
            executor.logger.error("\(leftover)", metadata: ["region": "\(id)", "action": "map"])
        }
        if failures[index] == nil { failures[index] = failure }
        executor.logger.debug(
            "\(failure.message)",
            metadata: [
                "region": "\(id)", "action": "\(actions.first { $0.index == index }?.action.kind.rawValue ?? "")",
            ])
    }

    /// Runs `body` in a retried transaction. The body reads inside the transaction every node it bases a decision
    /// on: oxenstored commits a transaction whose written nodes changed meanwhile unless it also read them (see
    /// the contract's `blindWritesConflictOnlyOnTheCDaemon`).
    func transaction<T>(_ body: (_ record: RecordWriter) throws -> T) throws -> T {
        try withTransaction(store, policy: executor.retry) { tx in try body(writer(tx)) }
    }

    /// A writer of this region's record in `tx`.
    func writer(_ tx: XenStoreTransaction) -> RecordWriter {
        RecordWriter(store: store, tx: tx, id: id, dialect: dialect)
    }

    /// Runs every phase of this region on its own; a failure marks its actions failed.
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

    // MARK: Phase 1: unmap and forget

    private mutating func teardown() throws {
        let unmaps = steps { if case .unmap = $0 { true } else { false } }
        let forgets = steps { if case .forget = $0 { true } else { false } }
        guard !unmaps.isEmpty || !forgets.isEmpty else { return }
        var targets: [(index: Int, target: UnmapTarget)] = unmaps.compactMap { entry in
            if case .unmap(let target) = entry.step { (entry.index, target) } else { nil }
        }
        if !targets.isEmpty {
            try transaction { record in
                let present = try record.entryDomids()
                for (_, target) in targets where present.contains(target.domid) {
                    try record.writeState(target.domid, .unmapping)
                }
                try record.writeUsercnt(1 + (try record.countMapped()))
            }
        }
        var unmapped: [DomID] = []
        for (index, target) in targets {
            do {
                try mapper.unmap(target.domid, target.frames)
                hypercalls += target.frames.count
                unmapped.append(target.domid)
            } catch {
                fail(index, error)
            }
        }
        targets.removeAll { failures[$0.index] != nil }
        let forgotten: [DomID] = forgets.compactMap { if case .forget(let domid) = $0.step { domid } else { nil } }
        try transaction { record in
            for domid in unmapped + forgotten { try record.removeEntry(domid) }
            if try record.exists() { try record.writeUsercnt(1 + (try record.countMapped())) }
        }
        for domid in unmapped {
            executor.logger.info(
                "unmapped borrower", metadata: ["region": "\(id)", "domid": "\(domid)", "action": "unmap"])
        }
    }

    // MARK: Phase 2: header, repairs and intents; hypercalls; final states

    /// What phase 2 does to a region: repairs and header writes, and the borrowers to map.
    struct Update {
        var edits: [(index: Int, step: Step)]
        var maps: [(index: Int, target: BorrowerTarget)]
        var writesHeader: Bool { edits.contains { if case .writeOwner = $0.step { true } else { false } } }
        var isEmpty: Bool { edits.isEmpty && maps.isEmpty }
    }

    /// How the hypercalls of phase 2 went.
    struct MapOutcome {
        var mapped: [DomID] = []
        /// Failed and cleanly rolled back: their intents go.
        var dropped: [DomID] = []
        var allTerminal = true
    }

    /// Whether this region has only phase-2 work, so that its transactions can share a batch with other regions'.
    var isBatchable: Bool {
        steps {
            switch $0 {
            case .unmap, .forget, .removeRecord: true
            default: false
            }
        }.isEmpty
    }

    /// The phase-2 work of the actions that have not failed.
    var pendingUpdate: Update {
        let edits = steps {
            switch $0 {
            case .unmap, .forget, .map, .removeRecord: false
            default: true
            }
        }
        let maps: [(index: Int, target: BorrowerTarget)] = steps { if case .map = $0 { true } else { false } }
            .compactMap { entry in if case .map(let target) = entry.step { (entry.index, target) } else { nil } }
        return Update(edits: edits, maps: maps)
    }

    private mutating func update() throws {
        let update = pendingUpdate
        guard !update.isEmpty else { return }
        let created: Bool
        switch try XenStoreError.separatingOutage({ try transaction { record in try writeIntents(update, to: record) } }
        )
        {
        case .success(let value): created = value
        case .failure(let error):
            failUpdate(update, error)
            return
        }
        let outcome = mapAll(update)
        guard !update.maps.isEmpty else { return }
        try transaction { record in try writeOutcome(outcome, of: update, created: created, to: record) }
    }

    /// Marks every action of `update` failed.
    mutating func failUpdate(_ update: Update, _ error: any Error) {
        for (index, _) in update.edits + update.maps.map({ ($0.index, Step.map($0.target)) }) { fail(index, error) }
    }

    /// The first transaction's body: repairs, and an intent for every borrower about to be mapped. Reads what it
    /// decides on; changes nothing outside the transaction (it may run again).
    /// - Returns: whether the record did not exist before.
    func writeIntents(_ update: Update, to record: RecordWriter) throws -> Bool {
        let existed = try record.exists()
        if existed, try record.manager() != RegionRecord.managerName, !update.writesHeader {
            throw ActionFailure(
                reason: ConditionReason.conflict,
                message: "\(record.base) was changed by another writer during the pass; will retry", isTerminal: false)
        }
        if !existed, !update.writesHeader,
            !update.maps.isEmpty || update.edits.contains(where: { $0.step != .removeIndex })
        {
            throw ActionFailure(
                reason: ConditionReason.xenstoreError,
                message: "\(record.base) disappeared during the pass; will retry", isTerminal: false)
        }
        let present = existed ? try record.entryDomids() : []
        for (_, step) in update.edits { try apply(step, to: record) }
        for (_, target) in update.maps where !present.contains(target.domain.domid) {
            try record.writeEntry(target, state: .mapping)
        }
        // With maps, the final transaction writes the count once they are done.
        if existed, update.maps.isEmpty {
            try record.writeUsercnt(1 + (try record.countMapped()))
        } else if update.writesHeader, update.maps.isEmpty {
            try record.writeUsercnt(1)
        }
        return !existed
    }

    /// The hypercalls, outside any transaction.
    mutating func mapAll(_ update: Update) -> MapOutcome {
        var outcome = MapOutcome()
        for (index, target) in update.maps {
            do {
                try mapper.map(target)
                hypercalls += (Int(target.size.pages) + executor.chunk - 1) / executor.chunk
                outcome.mapped.append(target.domain.domid)
                executor.logger.info(
                    "mapped borrower",
                    metadata: ["region": "\(id)", "domid": "\(target.domain.domid)", "action": "map"])
            } catch {
                hypercalls += 1
                fail(index, error.cause, leftover: error.leftover)
                outcome.allTerminal = outcome.allTerminal && (failures[index]?.isTerminal ?? false)
                if error.rolledBack { outcome.dropped.append(target.domain.domid) }
            }
        }
        return outcome
    }

    /// The final transaction on its own, after a shared one failed: a failure stays with this region.
    /// - Throws: only when xenstore went away.
    mutating func finishAlone(_ outcome: MapOutcome, of update: Update, created: Bool) throws {
        if case .failure(let error) = try XenStoreError.separatingOutage({
            try transaction { record in try writeOutcome(outcome, of: update, created: created, to: record) }
        }) {
            failAll(error)
        }
    }

    /// The final transaction's body: mapped borrowers become `mapped`, the intents of the failed ones go, and
    /// `usercnt` counts. A record this pass created for nothing (every borrower refused) leaves no residue.
    func writeOutcome(_ outcome: MapOutcome, of update: Update, created: Bool, to record: RecordWriter) throws {
        // Read even when everything goes: an entry another writer added meanwhile then makes the commit conflict
        // instead of vanishing with the record (oxenstored merges blind writes).
        let present = try record.entryDomids()
        let refusedAll =
            created && outcome.mapped.isEmpty && outcome.dropped.count == update.maps.count && outcome.allTerminal
        if refusedAll {
            for domid in outcome.dropped { try record.removeRole(domid) }
            try record.removeRecord(owner: ownerDomid())
            return
        }
        for domid in outcome.mapped where present.contains(domid) { try record.writeState(domid, .mapped) }
        for domid in outcome.dropped where present.contains(domid) { try record.removeEntry(domid) }
        // The entries this pass mapped count without a read; the states of the others are read back.
        let mapped = Set(outcome.mapped).intersection(present)
        let others = present.subtracting(outcome.dropped).subtracting(mapped)
        try record.writeUsercnt(1 + mapped.count + (try record.countMapped(others)))
    }

    private func ownerDomid() -> DomID? {
        for entry in actions {
            for step in entry.action.steps {
                if case .writeOwner(let owner) = step { return owner.domain.domid }
            }
        }
        return nil
    }

    private func apply(_ step: Step, to record: RecordWriter) throws {
        switch step {
        case .writeOwner(let owner): try record.writeHeader(owner)
        case .rewriteBorrower(let target): try record.writeEntry(target, state: .mapped)
        case .writeRole(let domid, let role): try record.writeRole(domid, role)
        case .removeRole(let domid): try record.removeRole(domid)
        case .writeIndex: try record.writeIndex()
        case .removeIndex: try record.removeIndex()
        case .fixUsercnt: break  // every transaction that reaches here rewrites usercnt
        case .map, .unmap, .forget, .removeRecord: break
        }
    }

    // MARK: Phase 3: remove records

    private mutating func removeRecords() throws {
        for (index, step) in steps(where: { if case .removeRecord = $0 { true } else { false } }) {
            guard case .removeRecord(let owner) = step else { continue }
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
            case .failure(let error): fail(index, error)
            }
        }
    }
}
