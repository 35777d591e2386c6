import SSHMCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `status --json` (schema: `docs/status.schema.json`): every region with its domains and its conditions as a list,
/// the way Kubernetes tools read them: `Ready` always, plus the region's current condition when it is not ready.
package enum StatusJSON {
    struct Document: Encodable {
        var formatVersion = JSONOutput.formatVersion
        var hypervisor: Hypervisor
        var regions: [Region]
    }

    struct Hypervisor: Encodable {
        var kind: String
        var version: String
        var arch: String
        var controlDomain: Bool
        var mapSpace: String
    }

    struct Region: Encodable {
        var id: String
        /// The region's condition type (`Ready`, `Pending`, `Degraded`, `Failed`, `Frozen`, `Unknown`).
        var condition: String
        var conditions: [Condition]
        @NullWhenAbsent var source: String?
        @NullWhenAbsent var owner: JSONDomain?
        /// The owner's guest view: `in_place`, `drifted`, `missing`; `null` without a record.
        @NullWhenAbsent var ownerView: String?
        var borrowers: [Borrower]
        /// Changes a plan would make now.
        var pendingChanges: Int
    }

    struct Borrower: Encodable {
        @NullWhenAbsent var domid: UInt32?
        @NullWhenAbsent var name: String?
        /// `mapped`, `mapping`, `unmapping` as recorded; `unmapped` for a running borrower not recorded yet;
        /// `waiting` for one that does not run.
        var state: String
        /// The borrower's guest view: `in_place`, `drifted`, `missing`; `null` when the record does not list it.
        @NullWhenAbsent var view: String?
        /// The pair's doorbell, `null` without one (docs/guest-view.md, "Doorbell").
        @NullWhenAbsent var doorbell: Doorbell?
    }

    struct Doorbell: Encodable {
        /// `waiting_for_owner`, `waiting_for_borrower`, `connected`, `broken`.
        var state: String
        /// `waiting for owner`, …, `broken: <why>`.
        var message: String
    }

    struct Condition: Encodable {
        var type: String
        /// `True`, `False` or `Unknown`, as in Kubernetes.
        var status: String
        var reason: String
        var message: String
        @NullWhenAbsent var lastTransitionTime: Date?
    }

    package static func render(_ report: StatusReport) throws -> String {
        let hypervisor = report.hypervisor
        return try JSONOutput.render(
            Document(
                hypervisor: Hypervisor(
                    kind: hypervisor.kind, version: hypervisor.version, arch: hypervisor.arch,
                    controlDomain: hypervisor.controlDomain, mapSpace: hypervisor.mapSpace),
                regions: report.regions.map(region)))
    }

    static func region(_ region: StatusReport.RegionStatus) -> Region {
        Region(
            id: region.id, condition: region.condition, conditions: conditions(region), source: region.source,
            owner: region.owner.map { JSONDomain(domid: $0.domid, name: name($0)) }, ownerView: region.owner?.view,
            borrowers: region.borrowers.map {
                Borrower(
                    domid: $0.domid, name: name($0), state: $0.state ?? "mapped", view: $0.view,
                    doorbell: $0.doorbell.map { Doorbell(state: $0.key, message: "\($0)") })
            },
            pendingChanges: region.pending)
    }

    /// `Ready` (True, False, or Unknown before any pass), and the current condition as True when it is another.
    static func conditions(_ region: StatusReport.RegionStatus) -> [Condition] {
        let known = region.condition != "Unknown"
        let ready = Condition(
            type: "Ready", status: !known ? "Unknown" : region.condition == "Ready" ? "True" : "False",
            reason: region.reason, message: region.message, lastTransitionTime: region.since)
        guard known, region.condition != "Ready" else { return [ready] }
        return [
            ready,
            Condition(
                type: region.condition, status: "True", reason: region.reason, message: region.message,
                lastTransitionTime: region.since),
        ]
    }

    /// A member's name: `nil` when the report only knows its domid (`domN`).
    private static func name(_ member: StatusReport.Member) -> String? {
        member.domid.map { "dom\($0)" } == member.domain ? nil : member.domain
    }
}
