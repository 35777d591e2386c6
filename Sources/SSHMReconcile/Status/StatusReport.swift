import SSHMCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What `status` shows: every region's condition from the last pass, its members as the records say, and any
/// drift a fresh plan would repair.
package struct StatusReport: Sendable {
    package struct Member: Hashable, Sendable {
        /// The domain's name when known, else `domN`.
        package var domain: String
        package var domid: UInt32?
        /// For borrowers: the record's state (`mapping`, `mapped`, `unmapping`); `unmapped` for a declared borrower
        /// that is running but not recorded, `waiting` for one that does not run.
        package var state: String?
        /// Whether the member's guest view (docs/guest-view.md) is in place: `in_place`, `drifted` (a plan would
        /// rewrite it) or `missing`; `nil` for a member the record does not list, which has no view to have.
        package var view: String? = nil
        /// For a borrower with a doorbell whose record entry exists: its pair's state (docs/guest-view.md).
        package var doorbell: DoorbellState? = nil
    }

    package struct RegionStatus: Sendable {
        package var id: String
        /// `Ready`, `Pending`, `Degraded`, `Failed`, `Frozen`, or `Unknown` before any pass.
        package var condition: String
        package var reason: String
        package var message: String
        package var source: String?
        package var owner: Member?
        package var borrowers: [Member]
        /// Changes a plan would make now, the doorbell step's included (a drifted or broken doorbell's).
        package var pending: Int
        /// When the condition last changed.
        package var since: Date?
    }

    package struct HypervisorStatus: Sendable {
        package var kind: String
        package var version: String
        package var arch: String
        package var controlDomain: Bool
        package var mapSpace: String
    }

    package var regions: [RegionStatus]
    package var hypervisor: HypervisorStatus

    /// Builds the report from the stored conditions and a fresh observation and plan.
    package static func build(
        desired: DesiredState, observation: Observation, plan: Plan, stored: [RegionID: ConditionStore.Entry],
        space: MapSpaceSetting, doorbells: [RegionID: DoorbellStep.RegionDoorbells] = [:]
    ) -> StatusReport {
        let declared = Dictionary(desired.regions.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var ids = Set(declared.keys).union(stored.keys)
        ids.formUnion(observation.actual.records.values.filter(\.isManaged).map(\.id))
        let pending = Dictionary(grouping: plan.actions, by: \.region).mapValues(\.count)
        var rewritten: Set<RoleNode> = []
        for action in plan.actions {
            for case .writeView(let view) in action.steps {
                rewritten.insert(RoleNode(domid: view.domid, id: action.region))
            }
        }
        func view(_ domid: DomID, _ id: RegionID) -> String {
            let node = RoleNode(domid: domid, id: id)
            return observation.actual.views[node] == nil ? "missing" : rewritten.contains(node) ? "drifted" : "in_place"
        }
        let domains = observation.domains
        func member(_ domid: DomID?, fallback: DomainRef?, state: String?) -> Member? {
            guard let domid else {
                return fallback.map { Member(domain: "\($0)", domid: nil, state: state) }
            }
            return Member(domain: domains.domain(domid)?.name ?? "dom\(domid)", domid: domid.rawValue, state: state)
        }
        let regions = ids.sorted().map { id -> RegionStatus in
            let record = observation.actual.records[id]
            let region = declared[id]
            let condition = stored[id]?.condition ?? plan.outlook[id]
            var borrowers: [Member] = (record?.borrowers.values.sorted { $0.domid < $1.domid } ?? []).compactMap {
                var borrower = member($0.domid, fallback: nil, state: $0.state?.rawValue ?? "mapped")
                borrower?.view = view($0.domid, id)
                borrower?.doorbell = doorbells[id]?.pairs[$0.domid]
                return borrower
            }
            for spec in region?.borrowers ?? [] {
                guard case .found(let domain) = domains.resolve(spec.domain) else {
                    borrowers.append(Member(domain: "\(spec.domain)", domid: nil, state: "waiting"))
                    continue
                }
                guard record?.borrowers[domain.domid] == nil else { continue }
                let name = domain.name ?? "\(spec.domain)"
                borrowers.append(Member(domain: name, domid: domain.domid.rawValue, state: "unmapped"))
            }
            let ownerID: DomID? =
                record?.owner
                ?? {
                    if let region, case .found(let domain) = domains.resolve(region.owner.domain) {
                        return domain.domid
                    }
                    return nil
                }()
            var owner = member(ownerID, fallback: region?.owner.domain, state: nil)
            if let recorded = record?.owner { owner?.view = view(recorded, id) }
            return RegionStatus(
                id: id.rawValue, condition: condition?.kind.rawValue ?? "Unknown",
                reason: condition?.reason.rawValue ?? "",
                message: condition?.message ?? "", source: region?.source ?? record?.source ?? condition?.source,
                owner: owner, borrowers: borrowers,
                pending: (pending[id] ?? 0) + (doorbells[id]?.changes.count ?? 0), since: stored[id]?.since)
        }
        let info = observation.hypervisor
        return StatusReport(
            regions: regions,
            hypervisor: HypervisorStatus(
                kind: info.kind, version: info.version, arch: info.arch.rawValue, controlDomain: info.isControlDomain,
                mapSpace: space.rawValue))
    }
}
