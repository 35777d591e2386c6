import Logging
import SSHMCore

/// Why an action did not complete, as a region condition will say it.
package struct ActionFailure: Error, Hashable, Sendable {
    package var reason: ConditionReason
    package var message: String
    /// Terminal failures are not retried until the input changes; the others are (Degraded).
    package var isTerminal: Bool

    package init(reason: ConditionReason, message: String, isTerminal: Bool) {
        self.reason = reason
        self.message = message
        self.isTerminal = isTerminal
    }
}

/// What happened to the actions of one region plan.
package struct RegionOutcome: Sendable {
    /// By the action's position in ``RegionPlan/actions``; absent = done.
    package var failures: [Int: ActionFailure] = [:]

    package init() {}
}

/// What happened to each region of a plan.
package struct ExecutionReport: Sendable {
    /// The regions whose actions ran (all of the plan's unless stopped).
    package var outcomes: [RegionID: RegionOutcome] = [:]
    /// Hypercalls made (map chunks + unmapped pages).
    package var hypercalls = 0
    /// The run stopped early (shutdown); regions after the last one run were not touched.
    package var stopped = false

    package init() {}

    /// Regions whose actions ran.
    package var ran: Set<RegionID> { Set(outcomes.keys) }

    /// Every failed action, of every region.
    package var failures: [ActionFailure] { outcomes.values.flatMap(\.failures.values) }

    /// Why `action` (at `index` in `region`'s actions) failed; `nil` when it succeeded or did not run.
    package func failure(of region: RegionPlan, at index: Int) -> ActionFailure? {
        outcomes[region.id]?.failures[index]
    }
}

/// Carries out a plan through the ports, region by region: one failing region never blocks the others.
///
/// For each region, the parts of its ``RegionPlan`` in this order (docs/design.md, "Per-region plans"): teardown
/// (`state=unmapping` → unmap → remove entries), then one transaction with the edits and every new borrower's
/// intent (`state=mapping`), then the maps, then one transaction that marks the mapped borrowers `mapped`, drops
/// the intents of the failed ones and sets `usercnt`, then the removal of records being deleted. A crash anywhere
/// leaves intents that the next pass recovers.
package final class Executor {
    let store: any XenStore
    let hypervisor: any Hypervisor
    let hypervisorInfo: HypervisorInfo
    let space: MapSpaceSetting
    let retry: RetryPolicy
    let logger: Logger
    /// Pages per map call; only tests lower it.
    var chunk = Page.maxBatch
    /// Asked between regions: when it says stop (the daemon is shutting down), the remaining regions wait for the
    /// next run. A region is never left half-done by it.
    package var shouldStop: @Sendable () -> Bool = { false }

    package init(
        store: any XenStore, hypervisor: any Hypervisor, hypervisorInfo: HypervisorInfo, space: MapSpaceSetting,
        retry: RetryPolicy, logger: Logger
    ) {
        self.store = store
        self.hypervisor = hypervisor
        self.hypervisorInfo = hypervisorInfo
        self.space = space
        self.retry = retry
        self.logger = logger
    }

    /// Executes `plan`.
    /// - Throws: ``XenStoreError`` with code `.unavailable` when xenstore went away: the pass cannot go on.
    package func execute(_ plan: Plan) throws -> ExecutionReport {
        var report = ExecutionReport()
        var runs = plan.regions.map { RegionRun(plan: $0, executor: self) }
        var next = 0
        while next < runs.count {
            if shouldStop() {
                report.stopped = true
                break
            }
            let batch = next..<batchEnd(runs, from: next)
            if batch.count > 1 {
                try executeBatch(&runs[batch])
            } else {
                try runs[next].executeAlone()
            }
            for run in runs[batch] {
                report.outcomes[run.id] = run.outcome
                report.hypercalls += run.hypercalls
            }
            next = batch.upperBound
        }
        return report
    }

    /// Xenstore requests per batched transaction: far below the daemons' per-transaction limits (oxenstored:
    /// `quota-maxrequests`, 1024).
    static let batchRequests = 900

    /// Regions per batch when the store has cheap large transactions.
    static let largeBatch = 16

    /// Regions per batch (``ReconcileSettings/batchRegions``, or chosen for the store: see ``batchSize(for:)``).
    package var batchRegions = 1

    /// How many regions may share a transaction on `store`. oxenstored's transactions cost a constant per request,
    /// so sharing saves two round trips per region (measured: converging 1,000 regions 6 % faster). The C daemon
    /// scans a transaction's accessed nodes on every request, so its transactions cost the square of their size and
    /// sharing makes it slower (13 %). oxenstored lists its special watch nodes under `/`, the C daemon does not:
    /// one listing tells them apart, and anything else gets no batches.
    package static func batchSize(for store: any XenStore) -> Int {
        (try? store.directory("/", in: nil))?.contains("@introduceDomain") == true ? largeBatch : 1
    }

    /// The end of the batch that starts at `start`: the consecutive regions with only updates (see
    /// ``RegionPlan/hasOnlyUpdates``) that fit the budget; just `start` when it cannot share.
    private func batchEnd(_ runs: [RegionRun], from start: Int) -> Int {
        var end = start
        var requests = 0
        while end < runs.count, end - start < batchRegions, runs[end].plan.hasOnlyUpdates {
            let update = runs[end].pendingUpdate
            // At most what the region adds to the batch's two transactions: 12 requests for its reads, `usercnt`
            // and the owner's `peer` and `state`, 24 per edit (the header and the owner's view, or a view or entry
            // rewritten in place: a view is nine nodes, each with its permissions set), 20 per borrower to map (its
            // entry, its fresh view, whose leaves inherit the directory's permissions, then its outcome)
            // (docs/scale.md).
            requests += 12 + 24 * update.edits.count + 20 * update.maps.count
            if end > start, requests > Self.batchRequests { break }
            end += 1
        }
        return max(end, start + 1)
    }

    /// The updates (parts 2–4) of several regions, with their intents in one transaction and their outcomes in
    /// another: a converge of many regions pays two transactions per batch instead of two per region. Anything that
    /// fails a batched transaction (a region's precondition, a quota) makes the regions of the batch run one by
    /// one, so that a failure stays with its region.
    private func executeBatch(_ runs: inout ArraySlice<RegionRun>) throws {
        let updates = runs.map(\.pendingUpdate)
        let intents = try XenStoreError.separatingOutage {
            try withTransaction(store, policy: retry) { tx in
                // Each region's first read, all in one round trip: the regions' writes then go out together.
                let writers = runs.map { $0.writer(tx) }
                let firsts = try store.readMany(
                    zip(writers, updates).map { $0.firstQuery(writesHeader: $1.writesHeader) }, in: tx)
                return try runs.enumerated().map { index, run in
                    try run.writeIntents(updates[index], to: writers[index], first: firsts[index])
                }
            }
        }
        guard case .success(let written) = intents else {
            for index in runs.indices { try runs[index].executeAlone() }
            return
        }
        var outcomes: [RegionRun.MapOutcome] = []
        for (index, update) in zip(runs.indices, updates) { outcomes.append(runs[index].mapAll(update)) }
        let finishing = zip(runs.indices, updates.indices).filter { !updates[$0.1].maps.isEmpty }
        let finished = try XenStoreError.separatingOutage {
            try withTransaction(store, policy: retry) { tx in
                for (run, slot) in finishing {
                    try runs[run].writeOutcome(
                        outcomes[slot], of: updates[slot], after: written[slot], to: runs[run].writer(tx))
                }
            }
        }
        if case .failure = finished {
            for (run, slot) in finishing {
                try runs[run].finishAlone(outcomes[slot], of: updates[slot], after: written[slot])
            }
        }
    }

    /// ``failure(for:region:info:space:borrowerKind:)`` with this executor's hypervisor, asked for the borrower's type
    /// only when it refused.
    func failure(for error: any Error, region: RegionID) -> ActionFailure {
        Executor.failure(
            for: error, region: region, info: hypervisorInfo, space: space,
            borrowerKind: { [hypervisor] in try? hypervisor.domainKind($0) })
    }

    /// Turns an error into the condition a region gets: one sentence, without the region's name (the status row
    /// and the log metadata carry it), that says what to do.
    static func failure(
        for error: any Error, region: RegionID, info: HypervisorInfo, space: MapSpaceSetting,
        borrowerKind: (DomID) -> DomainInfo.Kind? = { _ in nil }
    ) -> ActionFailure {
        switch error {
        case let failure as ActionFailure:
            return failure
        case let error as XenStoreError where error.code == .conflict:
            return ActionFailure(
                reason: ConditionReason.retriesExhausted,
                message: "another writer kept changing the record (\(error)); will retry", isTerminal: false)
        case let error as XenStoreError:
            return ActionFailure(reason: ConditionReason.xenstoreError, message: "\(error)", isTerminal: false)
        case let error as HypervisorError where error.code == .refused || error.code == .invalid:
            return ActionFailure(
                reason: ConditionReason.refused,
                message: RefusalMessage.text(
                    error, info: info, setting: space, borrowerKind: borrowerKind(error.borrower ?? .dom0)),
                isTerminal: true)
        case let error as HypervisorError:
            return ActionFailure(
                reason: ConditionReason.hypervisorError, message: "\(error); will retry", isTerminal: false)
        default:
            return ActionFailure(reason: ConditionReason.hypervisorError, message: "\(error)", isTerminal: false)
        }
    }
}
