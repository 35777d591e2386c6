import Logging
import SSHMCore

/// What one pass needs besides its ports.
package struct ReconcileSettings: Sendable {
    package var plan: PlanOptions
    package var space: MapSpaceSetting
    package var retry: RetryPolicy
    /// List all of `/libxl/static_shm` (on a throwaway handle) to find records whose index entry was lost.
    package var scanAllRecords: Bool
    /// Regions whose transactions may be shared; `nil` asks the store on each pass that changes something
    /// (``Executor/batchSize(for:)``: one listing). The daemon asks once when it starts.
    package var batchRegions: Int?

    package init(
        plan: PlanOptions = PlanOptions(), space: MapSpaceSetting = .auto, retry: RetryPolicy = RetryPolicy(),
        scanAllRecords: Bool = true, batchRegions: Int? = nil
    ) {
        self.plan = plan
        self.space = space
        self.retry = retry
        self.scanAllRecords = scanAllRecords
        self.batchRegions = batchRegions
    }
}

/// The actual side of a pass: records, domains, hypervisor.
package struct Observation: Sendable {
    package var actual: ActualState
    package var domains: DomainTable
    package var hypervisor: HypervisorInfo

    package init(actual: ActualState, domains: DomainTable, hypervisor: HypervisorInfo) {
        self.actual = actual
        self.domains = domains
        self.hypervisor = hypervisor
    }
}

/// The outcome of one pass.
package struct PassReport: Sendable {
    package var plan: Plan
    package var execution: ExecutionReport
    /// The conditions after the pass: every region's, or with a ``scope`` those of the scope's regions (one of
    /// them missing here has none any more; the others keep theirs, which the caller holds).
    package var conditions: [RegionID: RegionCondition]
    package var observation: Observation
    /// The doorbells of the regions that have or had one, as this pass found them (docs/guest-view.md, "Doorbell").
    package var doorbells: [RegionID: DoorbellStep.RegionDoorbells] = [:]
    /// The regions the pass planned; `nil`: all of them.
    package var scope: Set<RegionID>? = nil
}

/// One reconcile pass: observe, plan (pure), execute, derive conditions. Blocking: run it on a
/// ``BlockingExecutor``.
package final class Reconciler: Sendable {
    package let store: any XenStore
    package let hypervisor: any Hypervisor
    package let settings: ReconcileSettings
    package let logger: Logger

    package init(store: any XenStore, hypervisor: any Hypervisor, settings: ReconcileSettings, logger: Logger) {
        self.store = store
        self.hypervisor = hypervisor
        self.settings = settings
        self.logger = logger
    }

    /// Reads records, domains and the hypervisor's identity.
    package func observe(declared: Set<RegionID>) throws -> Observation {
        let info = try hypervisor.info()
        let domains = try DomainDirectory.read(hypervisor: hypervisor, store: store)
        let actual = try RecordReader(store: store, logger: logger)
            .readActual(declared: declared, scanAll: settings.scanAllRecords)
        return Observation(actual: actual, domains: domains, hypervisor: info)
    }

    /// Plans against an observation, only the regions in `scope` when given.
    package func plan(
        _ desired: DesiredState, _ observation: Observation, previous: [RegionID: RegionCondition],
        scope: Set<RegionID>? = nil
    ) -> Plan {
        SSHMCore.plan(
            PlanInput(
                desired: desired, actual: observation.actual, domains: observation.domains, previous: previous,
                options: settings.plan, scope: scope))
    }

    /// Observes, plans, executes and returns every region's condition.
    /// - Throws: when xenstore or the hypervisor cannot be read at all (the pass did nothing).
    package func reconcile(_ desired: DesiredState, previous: [RegionID: RegionCondition]) throws -> PassReport {
        try reconcile(desired, observation: observe(declared: Set(desired.regions.map(\.id))), previous: previous)
    }

    /// Plans against `observation` (fresh, or a daemon's cache), executes, and returns the regions' conditions.
    /// - Parameters:
    ///   - scope: plan only these regions (what a daemon's change can affect); every other region keeps its
    ///     previous condition, and the report holds the scope's only. `nil` plans all.
    ///   - hold: regions not to touch this pass (backing off after a failure): their actions are dropped and their
    ///     previous condition kept.
    package func reconcile(
        _ desired: DesiredState, observation: Observation, previous: [RegionID: RegionCondition],
        scope: Set<RegionID>? = nil, hold: Set<RegionID> = [], shouldStop: @escaping @Sendable () -> Bool = { false }
    ) throws -> PassReport {
        var plan = plan(desired, observation, previous: previous, scope: scope)
        if !hold.isEmpty {
            plan.regions.removeAll { hold.contains($0.id) }
            for id in hold { plan.outlook[id] = previous[id] ?? plan.outlook[id] }
        }
        let executor = Executor(
            store: store, hypervisor: hypervisor, hypervisorInfo: observation.hypervisor, space: settings.space,
            retry: settings.retry, logger: logger)
        executor.shouldStop = shouldStop
        if !plan.isEmpty { executor.batchRegions = settings.batchRegions ?? Executor.batchSize(for: store) }
        let execution = try executor.execute(plan)
        let conditions = Self.conditions(plan: plan, execution: execution, previous: previous)
        var report = PassReport(
            plan: plan, execution: execution, conditions: conditions, observation: observation, scope: scope)
        if !shouldStop() {
            let doorbells = DoorbellStep.candidates(desired, observation.actual, within: scope)
            report.doorbells = try DoorbellStep(store: store, eventChannels: hypervisor, logger: logger)
                .run(
                    doorbells, desired: desired, domains: observation.domains, repair: true,
                    known: plan.isEmpty ? observation.actual : nil)
        }
        return report
    }

    /// The plan's outlook, overridden by what failed: a terminal failure makes the region `Failed` (remembering the
    /// input's fingerprint), any other `Degraded`. A region whose prune succeeded has no condition any more; one
    /// the executor did not reach (shutdown) keeps its previous condition.
    static func conditions(
        plan: Plan, execution: ExecutionReport, previous: [RegionID: RegionCondition]
    ) -> [RegionID: RegionCondition] {
        var conditions = plan.outlook
        for regionPlan in plan.regions {
            let region = regionPlan.id
            guard let outcome = execution.outcomes[region] else {
                conditions[region] = previous[region]
                continue
            }
            let failures = regionPlan.actions.indices.compactMap { outcome.failures[$0] }
            guard let worst = failures.first(where: \.isTerminal) ?? failures.first else {
                if regionPlan.actions.contains(where: { $0.kind == .prune }) { conditions[region] = nil }
                continue
            }
            var condition = conditions[region] ?? RegionCondition(.degraded, reason: worst.reason, message: "")
            condition.kind = worst.isTerminal ? .failed : .degraded
            condition.reason = worst.reason
            condition.message =
                failures.count == 1
                ? worst.message : "\(worst.message) (\(failures.count) of \(regionPlan.actions.count) changes failed)"

            conditions[region] = condition
        }
        return conditions
    }
}
