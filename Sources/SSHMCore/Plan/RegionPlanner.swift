/// Plans one declared region whose owner domain is running.
struct RegionPlanner {
    let region: Region
    let owner: Domain
    let record: RegionRecord?
    let input: PlanInput
    private(set) var actions: [Action] = []
    private(set) var outlook: RegionCondition
    /// Set when an entry cannot be handled safely: the region is then `Failed` whatever else happens.
    private var corruption: RegionCondition?

    init(region: Region, owner: Domain, record: RegionRecord?, input: PlanInput) {
        self.region = region
        self.owner = owner
        self.record = record
        self.input = input
        outlook = RegionCondition(.ready, reason: ConditionReason.converged, message: "", source: region.source)
    }

    private var id: RegionID { region.id }
    private var domains: DomainTable { input.domains }
    private var dialect: RecordDialect { record?.dialect ?? input.options.dialect }

    /// Whether the pages borrowers see come from somewhere else now: another owner domain (or the same domid with a
    /// new UUID), or another owner range. Every existing mapping must then be unmapped before mapping again.
    private var sourceChanged: Bool {
        guard let record else { return false }
        return record.owner != owner.domid || record.ownerUUID.map { $0 != owner.uuid } ?? false
            || record.begin != region.owner.begin
    }

    mutating func run() {
        var targets: [DomID: BorrowerTarget] = [:]
        var waiting: [String] = []
        var invalid: [String] = []
        for spec in region.borrowers {
            switch domains.resolve(spec.domain) {
            case .found(let domain) where domain.domid == owner.domid:
                invalid.append("borrower \(spec.domain) is the owner domain \(owner.label)")
            case .found(let domain) where targets[domain.domid] != nil:
                invalid.append("two borrowers resolve to \(domain.label)")
            case .found(let domain):
                targets[domain.domid] = BorrowerTarget(
                    domain: domain, owner: owner.domid, begin: spec.begin, size: spec.size, offset: spec.offset,
                    prot: spec.prot, ownerFirstGFN: region.owner.begin.gfn + spec.offset.pages,
                    cachePolicy: region.owner.cachePolicy, doorbell: spec.doorbell)
            case .missing:
                waiting.append("\(spec.domain)")
            case .ambiguous(let ids):
                waiting.append("\(spec.domain) (\(ids.count) domains carry that name: name it by domid)")
            }
        }
        let fingerprint = Fingerprint.of(
            region: region, owner: owner, targets: targets, mapSpace: input.options.mapSpace)
        let previous = input.previous[id]
        let retryBlocked =
            previous?.kind == .failed && previous?.fingerprint == fingerprint
            && [ConditionReason.refused, ConditionReason.invalidRequest].contains(previous?.reason)

        let handled = planEntries(targets: targets)
        var newMaps: [BorrowerTarget] = []
        for target in targets.values.sorted(by: { $0.domain.domid < $1.domain.domid })
        where !handled.kept.contains(target.domain.domid) {
            if let old = handled.movedFrom[target.domain.domid] {
                add(
                    .remap, borrower(target.domain), "dom\(old) → dom\(target.domain.domid) (same UUID)",
                    [.forget(old), .map(target)])
            } else if !retryBlocked {
                newMaps.append(target)
            }
        }
        if !(retryBlocked && record == nil) { planOwner() }
        for target in newMaps { add(.map, borrower(target.domain), describe(target), [.map(target)]) }
        planViews(targets: targets)
        planUsercnt()

        if let corruption {
            outlook = corruption
        } else if let previous, retryBlocked {
            outlook = previous
        } else if !invalid.isEmpty {
            outlook = condition(
                .failed, ConditionReason.invalidRequest, invalid.joined(separator: "; ") + ": fix the manifest")
            outlook.fingerprint = fingerprint
        } else if !waiting.isEmpty {
            let names = waiting.joined(separator: ", ")
            outlook = condition(
                .pending, ConditionReason.waitingForBorrower,
                "waiting for \(waiting.count == 1 ? "domain" : "domains") \(names) to start")
        } else {
            let count = targets.count
            outlook = condition(
                .ready, ConditionReason.converged,
                count == 0
                    ? "no borrowers declared" : count == 1 ? "its borrower is mapped" : "all \(count) borrowers mapped")
        }
        outlook.fingerprint = outlook.fingerprint ?? fingerprint
    }

    /// Plans the record's existing entries; returns the domids whose entry is (or will be, after a repair) right,
    /// and the borrowers that moved to a new domid.
    private mutating func planEntries(targets: [DomID: BorrowerTarget]) -> (kept: Set<DomID>, movedFrom: [DomID: DomID])
    {
        var kept: Set<DomID> = []
        var movedFrom: [DomID: DomID] = [:]
        for entry in (record?.borrowers.values).map({ $0.sorted { $0.domid < $1.domid } }) ?? [] {
            guard domains.isAlive(entry.domid, uuid: entry.uuid) else {
                if let uuid = entry.uuid, let now = domains.running(uuid: uuid), targets[now.domid] != nil,
                    record?.borrowers[now.domid] == nil
                {
                    movedFrom[now.domid] = entry.domid
                } else {
                    add(.gc, "borrower dom\(entry.domid)", "the domain is gone", [.forget(entry.domid)])
                }
                continue
            }
            let label = domains.domain(entry.domid).map(borrower) ?? "borrower dom\(entry.domid)"
            guard let target = targets[entry.domid] else {
                guard let frames = entry.frames else {
                    corruption = condition(
                        .failed, ConditionReason.corruptRecord,
                        "borrower dom\(entry.domid) is no longer declared but its recorded range is unreadable: "
                            + "remove \(RecordPaths.record(id))/\(dialect.borrowersKey)/\(entry.domid) by hand")
                    continue
                }
                add(.unmap, label, "no longer declared", [.unmap(UnmapTarget(domid: entry.domid, frames: frames))])
                continue
            }
            kept.insert(entry.domid)
            let unmap = Step.unmap(UnmapTarget(domid: entry.domid, frames: entry.frames ?? target.frames))
            if sourceChanged {
                add(.remap, label, "the owner's pages moved: \(describe(target))", [unmap, .map(target)])
            } else if entry.state == .mapping || entry.state == .unmapping {
                let what = entry.state == .mapping ? "map" : "unmap"
                add(.repair, label, "recover an interrupted \(what), then map again", [unmap, .map(target)])
            } else if entry.frames != target.frames || entry.offset != target.offset {
                add(.remap, label, "range changed: \(describe(target))", [unmap, .map(target)])
            } else {
                var drift: [String] = entry.problems
                if entry.prot != target.prot { drift.append("prot") }
                if entry.uuid != target.domain.uuid { drift.append("uuid") }
                if entry.state == nil { drift.append("state") }
                if !drift.isEmpty {
                    add(.repair, label, "rewrite " + drift.joined(separator: ", "), [.rewriteBorrower(target)])
                }
            }
        }
        return (kept, movedFrom)
    }

    private var ownerTarget: OwnerTarget {
        OwnerTarget(
            domain: owner, begin: region.owner.begin, size: region.owner.size, prot: region.owner.prot,
            cachePolicy: region.owner.cachePolicy, source: region.source)
    }

    private mutating func planOwner() {
        let target = ownerTarget
        let subject = "owner \(owner.label)"
        guard let record else {
            add(
                .map, subject, "\(region.owner.begin), \(pages(region.owner.size)), \(region.owner.prot.rawValue)",
                [.writeOwner(target)])
            return
        }
        var removeOld: [Step] = []
        if let old = record.owner, old != owner.domid, domains.isAlive(old, uuid: record.ownerUUID) {
            removeOld.append(.removeRole(old))
        }
        if sourceChanged {
            add(
                .remap, subject,
                "was \(record.owner.map { "dom\($0)" } ?? "unknown") at \(record.begin?.description ?? "?")",
                removeOld + [.writeOwner(target)])
            return
        }
        var drift: [String] = record.problems
        if record.size != region.owner.size { drift.append("size") }
        if record.prot != region.owner.prot { drift.append("prot") }
        if record.cachePolicy != region.owner.cachePolicy { drift.append("cache_policy") }
        if record.source != region.source { drift.append("source") }
        if !record.isManaged { drift.append("manager (adopting)") }
        if record.ownerUUID != owner.uuid { drift.append("owner_uuid") }
        if let permissions = input.actual.recordPermissions[id], permissions != "n0" {
            drift.append("permissions (\(permissions))")
        }
        if !drift.isEmpty {
            add(.repair, subject, "rewrite " + drift.joined(separator: ", "), [.writeOwner(target)])
            return
        }
        if !input.actual.indexed.contains(id) {
            add(.repair, "index entry", "missing", [.writeIndex])
        }
    }

    /// Rewrites the views (docs/guest-view.md) that no other action rewrites and that differ from what they must
    /// say: a value changed, a node or its permissions changed, a child that does not belong. A view comes after the
    /// record, so a region without one has none to repair.
    private mutating func planViews(targets: [DomID: BorrowerTarget]) {
        guard let record else { return }
        var rewritten: Set<DomID> = []
        var entriesChange = false
        for step in actions.flatMap(\.steps) {
            switch step {
            case .writeOwner(let target): rewritten.insert(target.domain.domid)
            case .map(let target), .rewriteBorrower(let target):
                rewritten.insert(target.domain.domid)
                entriesChange = true
            case .unmap(let target):
                rewritten.insert(target.domid)
                entriesChange = true
            case .forget(let domid):
                rewritten.insert(domid)
                entriesChange = true
            case .removeRole(let domid): rewritten.insert(domid)
            case .writeView(let view): rewritten.insert(view.domid)
            case .fixUsercnt, .writeIndex, .removeIndex, .removeRecord: break
            }
        }
        for domid in record.borrowers.keys.sorted() where !rewritten.contains(domid) {
            guard let target = targets[domid] else { continue }
            repairView(GuestView.borrower(target, state: .mapped, dialect: dialect), subject: borrower(target.domain))
        }
        guard !rewritten.contains(owner.domid) else { return }
        let view = GuestView.owner(ownerTarget, dialect: dialect)
        // Any change to the entries rewrites the owner's summary in the same transaction.
        let summary = entriesChange ? [] : GuestView.ownerSummary(record.borrowers.mapValues(\.state))
        repairView(view, comparing: view.leaves + summary, subject: "owner \(owner.label)")
    }

    private mutating func repairView(_ view: GuestView, comparing leaves: [ViewLeaf]? = nil, subject: String) {
        let expected = GuestView(domid: view.domid, leaves: leaves ?? view.leaves)
        let drift = input.actual.views[RoleNode(domid: view.domid, id: id)]?.drift(from: expected) ?? ["missing"]
        guard !drift.isEmpty else { return }
        add(.repair, subject, "rewrite its view: " + drift.joined(separator: ", "), [.writeView(view)])
    }

    /// `usercnt` is recomputed by every step that changes entries; fix it alone only when nothing else will.
    private mutating func planUsercnt() {
        guard let record, actions.isEmpty, record.usercnt != record.expectedUsercnt else { return }
        add(
            .repair, "usercnt", "\(record.usercnt.map(String.init) ?? "missing") → \(record.expectedUsercnt)",
            [.fixUsercnt])
    }

    private mutating func add(_ kind: Action.Kind, _ subject: String, _ detail: String, _ steps: [Step]) {
        actions.append(Action(kind: kind, region: id, dialect: dialect, subject: subject, detail: detail, steps: steps))
    }

    private func condition(_ kind: ConditionKind, _ reason: ConditionReason, _ message: String) -> RegionCondition {
        RegionCondition(kind, reason: reason, message: message, source: region.source)
    }

    private func borrower(_ domain: Domain) -> String { "borrower \(domain.label)" }

    private func describe(_ target: BorrowerTarget) -> String {
        let offset = target.offset.rawValue == 0 ? "" : " + \(target.offset)"
        return "\(target.begin), \(pages(target.size)) from \(owner.label) \(region.owner.begin)\(offset)"
    }

    private func pages(_ size: ByteSize) -> String { "\(size.pages) page\(size.pages == 1 ? "" : "s")" }
}

/// A short, stable digest of everything a region's mapping depends on.
package enum Fingerprint {
    static func of(region: Region, owner: Domain, targets: [DomID: BorrowerTarget], mapSpace: String) -> String {
        var text = "\(region.id)|\(owner.domid)|\(owner.uuid)|\(region.owner.begin)|\(region.owner.size)|\(mapSpace)"
        for target in targets.values.sorted(by: { $0.domain.domid < $1.domain.domid }) {
            text += "|\(target.domain.domid):\(target.domain.uuid):\(target.begin):\(target.size):\(target.offset)"
        }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return String(hash, radix: 16)
    }
}

extension Fingerprint {
    /// The fingerprint a pass would give `region` with the domains running now, as ``RegionPlanner`` resolves them;
    /// `nil` while its owner does not run (such a region is not planned, so it has none).
    package static func of(region: Region, domains: DomainTable, mapSpace: String) -> String? {
        guard case .found(let owner) = domains.resolve(region.owner.domain) else { return nil }
        var targets: [DomID: BorrowerTarget] = [:]
        for spec in region.borrowers {
            guard case .found(let domain) = domains.resolve(spec.domain), domain.domid != owner.domid,
                targets[domain.domid] == nil
            else { continue }
            targets[domain.domid] = BorrowerTarget(
                domain: domain, owner: owner.domid, begin: spec.begin, size: spec.size, offset: spec.offset,
                prot: spec.prot, ownerFirstGFN: region.owner.begin.gfn + spec.offset.pages,
                cachePolicy: region.owner.cachePolicy)
        }
        return of(region: region, owner: owner, targets: targets, mapSpace: mapSpace)
    }
}
