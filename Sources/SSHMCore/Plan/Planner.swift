/// Computes, per region, the actions that take xenstore and the hypervisor from `input.actual` to `input.desired`,
/// and the parts that carry them out (``RegionPlan``).
///
/// Pure and deterministic: regions in id order, and inside a region teardown first, then the owner, repairs and
/// maps, borrowers in domid order. Applying the plan and planning again gives an empty plan.
package func plan(_ input: PlanInput) -> Plan {
    var planner = Planner(input: input)
    return planner.run()
}

struct Planner {
    let input: PlanInput
    var plan = Plan()
    /// The actions of the region being planned.
    private var actions: [Action] = []
    /// The running owner of the region being planned (``RegionPlan/viewOwner``).
    private var viewOwner: DomID?

    init(input: PlanInput) { self.input = input }

    private var options: PlanOptions { input.options }
    private var domains: DomainTable { input.domains }

    mutating func run() -> Plan {
        let desired = input.desired.regionsByID
        let ids: Set<RegionID>
        if let scope = input.scope {
            ids = scope.filter {
                desired[$0] != nil || input.actual.records[$0] != nil || input.actual.indexed.contains($0)
            }
        } else {
            ids = Set(desired.keys).union(input.actual.records.keys).union(input.actual.indexed)
        }
        let pruneBlocked = input.desired.regions.isEmpty && !options.allowEmpty
        var notedBlockedPrune = false
        for id in ids.sorted() {
            if let region = desired[id] {
                planDesired(region, record: input.actual.records[id])
            } else if let record = input.actual.records[id] {
                guard record.isManaged else { continue }
                if pruneBlocked {
                    if !notedBlockedPrune {
                        plan.notes.append(
                            "the config dir declares no regions: pruning nothing "
                                + "(pass --allow-empty to remove every managed region)")
                        notedBlockedPrune = true
                    }
                    continue
                }
                planUndesired(record)
            } else {
                add(.gc, id, "index entry", "no record behind it", [.removeIndex])
            }
            if !actions.isEmpty { plan.regions.append(RegionPlan(id: id, actions: actions, viewOwner: viewOwner)) }
            actions = []
            viewOwner = nil
        }
        return plan
    }

    // MARK: Regions nobody declares any more

    private mutating func planUndesired(_ record: RegionRecord) {
        let id = record.id
        if let source = record.source, input.desired.frozenSources.contains(source) {
            plan.outlook[id] = RegionCondition(
                .frozen, reason: ConditionReason.invalidManifest,
                message: "\(source) is invalid: its regions are left exactly as they are until it validates again",
                source: source)
            return
        }
        if let source = record.source, let directory = options.configDirectory,
            !input.desired.validSources.contains(source), !Self.isInside(source, directory)
        {
            plan.outlook[id] = RegionCondition(
                .frozen, reason: ConditionReason.foreignSource,
                message:
                    "its source \(source) is not in \(directory): left alone; run with that config dir to manage it",
                source: source)
            return
        }
        let why =
            record.source.map { input.desired.validSources.contains($0) ? "no longer in \($0)" : "\($0) was deleted" }
            ?? "no source file"
        teardown(record, kind: .prune, why: why)
        if plan.outlook[id] == nil {
            plan.outlook[id] = RegionCondition(
                .pending, reason: ConditionReason.pruning, message: "being removed: \(why)", source: record.source)
        }
    }

    static func isInside(_ path: String, _ directory: String) -> Bool {
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        return path.hasPrefix(prefix) && !path.dropFirst(prefix.count).contains("/")
    }

    /// Unmaps every live borrower, forgets the dead ones and removes the record.
    private mutating func teardown(_ record: RegionRecord, kind: Action.Kind, why: String) {
        var steps: [Step] = []
        for entry in record.borrowers.values.sorted(by: { $0.domid < $1.domid }) {
            guard domains.isAlive(entry.domid, uuid: entry.uuid) else {
                steps.append(.forget(entry.domid))
                continue
            }
            guard let frames = entry.frames else {
                corrupt(record, entry, what: "its range is unreadable")
                return
            }
            steps.append(.unmap(UnmapTarget(domid: entry.domid, frames: frames)))
        }
        steps.append(.removeRecord(owner: record.owner))
        viewOwner = record.owner.flatMap { domains.isAlive($0, uuid: record.ownerUUID) ? $0 : nil }
        let count = record.borrowers.count
        let subject = count == 0 ? "record" : "record and \(count) borrower\(count == 1 ? "" : "s")"
        add(kind, record.id, subject, why, steps)
    }

    private mutating func corrupt(_ record: RegionRecord, _ entry: BorrowerRecord, what: String) {
        plan.outlook[record.id] = RegionCondition(
            .failed, reason: ConditionReason.corruptRecord,
            message: "borrower dom\(entry.domid) of \(RecordPaths.record(record.id)): \(what), so the pages it "
                + "maps are unknown; remove the entry by hand once the domain is stopped",
            source: record.source)
    }

    // MARK: Declared regions

    private mutating func planDesired(_ region: Region, record existing: RegionRecord?) {
        let id = region.id
        if let existing, !existing.isManaged, !options.adopt {
            plan.outlook[id] = RegionCondition(
                .failed, reason: ConditionReason.conflict,
                message: "\(RecordPaths.record(id)) exists but was not written by sshm-reconcile (no manager): "
                    + "rename the region, remove that record, or rerun with --adopt to take it over",
                source: region.source)
            return
        }
        let owner: Domain
        let resolution = domains.resolve(region.owner.domain)
        switch resolution {
        case .found(let domain):
            owner = domain
        case .missing, .ambiguous(_):
            // The borrowers of an existing record see the pages of a domain that is not the declared owner (it is
            // gone, or the manifest names another one now): unmap them. Only when several domains carry the
            // owner's name and the recorded owner is one of them is it left alone until the name is unique.
            if let existing {
                let recorded = existing.owner.flatMap { domains.isAlive($0, uuid: existing.ownerUUID) ? $0 : nil }
                let heldByNamesake =
                    if case .ambiguous(let ids) = resolution, let recorded { ids.contains(recorded) } else { false }
                if !heldByNamesake {
                    let why =
                        recorded == nil
                        ? "owner \(region.owner.domain) is gone"
                        : "the owner is now \(region.owner.domain), which is not running"
                    teardown(existing, kind: .gc, why: why)
                }
            }
            plan.outlook[id] = pendingOwner(region)
            return
        }
        var region = RegionPlanner(region: region, owner: owner, record: existing, input: input)
        region.run()
        viewOwner = owner.domid
        actions += region.actions
        plan.outlook[id] = region.outlook
    }

    private func pendingOwner(_ region: Region) -> RegionCondition {
        if case .ambiguous(let ids) = domains.resolve(region.owner.domain) {
            return RegionCondition(
                .pending, reason: ConditionReason.ambiguousDomain,
                message:
                    "\(ids.count) domains are named \(region.owner.domain) (\(ids.map { "dom\($0)" }.joined(separator: ", "))): "
                    + "name the owner by domid",
                source: region.source)
        }
        return RegionCondition(
            .pending, reason: ConditionReason.waitingForOwner,
            message: "waiting for owner \(region.owner.domain) to start", source: region.source)
    }

    private mutating func add(
        _ kind: Action.Kind, _ id: RegionID, _ subject: String, _ detail: String, _ steps: [Step],
        dialect: RecordDialect? = nil
    ) {
        let dialect = dialect ?? input.actual.records[id]?.dialect ?? options.dialect
        actions.append(
            Action(kind: kind, region: id, dialect: dialect, subject: subject, detail: detail, steps: steps))
    }
}
