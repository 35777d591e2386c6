/// Whether what `sshm-reconcile wait` waits for is in place, decided from values alone (docs/design.md, "Waiting
/// for a domain's part").
///
/// A borrower's part is in place when its record entry and its guest view both say `mapped`; an owner's when the
/// record names it and its view exists (`waiting` or `ready`): the view is written in the same transactions as the
/// record, so a guest unpaused then reads its region. A region is ready when every member's part is.
package enum Readiness {
    /// What a request covers now: the parts to look at, and the requested things that have none yet.
    package struct Scope: Hashable, Sendable {
        /// Parts whose domain runs now: their records and views are read and watched.
        package var parts: [ReadinessPart] = []
        /// Requested domains or region members not running (yet), one phrase each.
        package var absent: [String] = []
        /// Requested domains and regions no valid manifest mentions.
        package var unknown: [String] = []
        /// Regions of an invalid manifest that a request touches, one sentence each.
        package var frozen: [String] = []
        /// Every region whose record is read: those of the parts, and the requested ones.
        package var regions: Set<RegionID> = []
        /// Regions with a member in ``absent``: not in place, whatever their parts say.
        package var incomplete: Set<RegionID> = []
    }

    /// The parts `request` covers with the domains running now. Regions of frozen manifests are found through
    /// their records (`records`: any the caller read, the more the better; a frozen region without a record cannot
    /// be seen).
    package static func scope(
        _ request: ReadinessRequest, desired: DesiredState, domains: DomainTable,
        records: [RegionID: RegionRecord] = [:]
    ) -> Scope {
        var scope = Scope()
        let frozenSources = desired.frozenSources
        let frozenRecords = records.values.filter { record in
            desired.regionsByID[record.id] == nil && record.source.map(frozenSources.contains) == true
        }.sorted { $0.id < $1.id }
        var parts: Set<ReadinessPart> = []

        for reference in request.domains {
            let resolution = domains.resolve(reference)
            let found: Domain? = if case .found(let domain) = resolution { domain } else { nil }
            var mentioned = false
            for region in desired.regions {
                let roles = roles(of: reference, found: found, in: region, domains: domains)
                guard !roles.isEmpty else { continue }
                mentioned = true
                scope.regions.insert(region.id)
                if let found {
                    for role in roles { parts.insert(ReadinessPart(region: region.id, domain: found, role: role)) }
                } else {
                    scope.incomplete.insert(region.id)
                }
            }
            for record in frozenRecords where found.map({ record.roleDomids.contains($0.domid) }) ?? false {
                mentioned = true
                scope.frozen.append(frozenSentence(record.id, source: record.source))
            }
            if !mentioned {
                scope.unknown.append("domain \(reference)")
            } else if case .ambiguous(let ids) = resolution {
                scope.absent.append(
                    "domain \(reference) is ambiguous (\(ids.count) domains carry that name: give its domid)")
            } else if found == nil {
                scope.absent.append("domain \(reference) is not running")
            }
        }

        for id in request.regions {
            scope.regions.insert(id)
            guard let region = desired.regionsByID[id] else {
                if let record = frozenRecords.first(where: { $0.id == id }) {
                    scope.frozen.append(frozenSentence(id, source: record.source))
                } else {
                    scope.unknown.append("region \(id)")
                }
                continue
            }
            let members =
                [(region.owner.domain, ReadinessPart.Role.owner)] + region.borrowers.map { ($0.domain, .borrower) }
            for (reference, role) in members {
                switch domains.resolve(reference) {
                case .found(let domain): parts.insert(ReadinessPart(region: id, domain: domain, role: role))
                case .missing:
                    scope.absent.append("\(id): \(role.rawValue) \(reference) is not running")
                    scope.incomplete.insert(id)
                case .ambiguous(let ids):
                    scope.absent.append(
                        "\(id): \(role.rawValue) \(reference) is ambiguous (\(ids.count) domains carry that name)")
                    scope.incomplete.insert(id)
                }
            }
        }
        scope.parts = parts.sorted()
        return scope
    }

    /// The verdict on `request` given what the host holds.
    package static func verdict(
        _ request: ReadinessRequest, desired: DesiredState, observation: ReadinessObservation
    ) -> ReadinessVerdict {
        let scope = scope(request, desired: desired, domains: observation.domains, records: observation.records)
        if !scope.unknown.isEmpty { return ReadinessVerdict(.unknown, messages: scope.unknown) }
        if !scope.frozen.isEmpty { return ReadinessVerdict(.frozen, messages: scope.frozen) }
        var inPlace: [String] = []
        var missing = scope.absent
        var incomplete = scope.incomplete
        let parts = scope.parts.map { part in
            ReadinessVerdict.PartStatus(
                part: part,
                gap: gap(part, observation)
                    ?? (request.doorbell ? doorbellGap(part, desired: desired, observation: observation) : nil))
        }
        for status in parts {
            if let gap = status.gap {
                missing.append("\(status.part.description) \(gap)")
                incomplete.insert(status.part.region)
            } else {
                let done = status.part.role == .borrower ? "mapped" : "recorded"
                let bell =
                    request.doorbell
                    && !doorbellPeers(status.part, desired: desired, domains: observation.domains).isEmpty
                inPlace.append("\(status.part.description) \(done)\(bell ? ", doorbell connected" : "")")
            }
        }
        if missing.isEmpty { return ReadinessVerdict(.ready, parts: parts, messages: inPlace) }
        let failures = incomplete.sorted().compactMap { id -> String? in
            guard let condition = observation.conditions[id], condition.kind == .failed,
                let region = desired.regionsByID[id], isCurrent(condition, region, observation)
            else { return nil }
            return "\(id): \(condition.message)"
        }
        return failures.isEmpty
            ? ReadinessVerdict(.waiting, parts: parts, messages: missing)
            : ReadinessVerdict(.failed, parts: parts, messages: failures)
    }

    /// Why `part` is not in place, or `nil` when it is.
    static func gap(_ part: ReadinessPart, _ observation: ReadinessObservation) -> String? {
        let domid = part.domain.domid
        let view = observation.views[part.view].flatMap(ViewState.init(node:))
        guard let record = observation.records[part.region] else { return "is not recorded yet" }
        switch part.role {
        case .owner:
            guard record.owner == domid else { return "is not recorded yet" }
            guard view == .waiting || view == .ready else { return viewGap(observation.views[part.view]) }
            return nil
        case .borrower:
            guard let entry = record.borrowers[domid] else { return "is not recorded yet" }
            guard entry.isMapped else { return "is being \(entry.state == .unmapping ? "unmapped" : "mapped")" }
            guard view == .mapped else { return viewGap(observation.views[part.view]) }
            return nil
        }
    }

    /// The borrowers `part` must have a connected doorbell with: itself, for a borrower whose pair has one; each
    /// running borrower with one, for an owner.
    package static func doorbellPeers(_ part: ReadinessPart, desired: DesiredState, domains: DomainTable) -> [DomID] {
        guard let region = desired.regionsByID[part.region] else { return [] }
        return region.borrowers.filter(\.doorbell).compactMap { spec -> DomID? in
            guard case .found(let domain) = domains.resolve(spec.domain) else { return nil }
            return part.role == .owner || domain.domid == part.domain.domid ? domain.domid : nil
        }.sorted()
    }

    /// Why `part`'s doorbells are not all connected, or `nil` when they are.
    static func doorbellGap(
        _ part: ReadinessPart, desired: DesiredState, observation: ReadinessObservation
    ) -> String? {
        let open = doorbellPeers(part, desired: desired, domains: observation.domains).compactMap { peer -> String? in
            let state = observation.doorbells[part.region]?[peer]
            guard state != .connected else { return nil }
            let with = part.role == .owner ? " with dom\(peer)" : ""
            return "has its doorbell\(with) \(state.map { "\($0)" } ?? "not set up yet")"
        }
        return open.isEmpty ? nil : open.joined(separator: "; ")
    }

    private static func viewGap(_ value: String?) -> String {
        guard let value else { return "has no guest view yet" }
        if let state = ViewState(node: value) { return "has its guest view at \(state.rawValue)" }
        return "has an unreadable guest view state"
    }

    /// Whether a `Failed` condition is about the domains running now: its fingerprint is the one a pass would
    /// compute now (with any map space). One without a fingerprint always counts.
    static func isCurrent(
        _ condition: RegionCondition, _ region: Region, _ observation: ReadinessObservation
    ) -> Bool {
        guard let fingerprint = condition.fingerprint else { return true }
        return observation.mapSpaces.contains { space in
            Fingerprint.of(region: region, domains: observation.domains, mapSpace: space) == fingerprint
        }
    }

    /// The roles `reference` has in `region` (`found`: the domain it resolves to now, if any), matching a name to a
    /// domid through the domain table.
    private static func roles(
        of reference: DomainRef, found: Domain?, in region: Region, domains: DomainTable
    ) -> [ReadinessPart.Role] {
        func names(_ member: DomainRef) -> Bool {
            if member.canonical == reference.canonical { return true }
            guard let found else { return false }
            if case .found(let domain) = domains.resolve(member) { return domain.domid == found.domid }
            return false
        }
        return (names(region.owner.domain) ? [.owner] : [])
            + (region.borrowers.contains { names($0.domain) } ? [.borrower] : [])
    }

    private static func frozenSentence(_ id: RegionID, source: String?) -> String {
        "\(id): its manifest \(source ?? "") is invalid and the region is Frozen: fix it (`sshm-reconcile validate`)"
    }
}
