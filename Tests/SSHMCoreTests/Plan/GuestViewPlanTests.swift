import SSHMCore
import SSHMTestSupport
import Testing

/// How the planner keeps the guest views (docs/guest-view.md) true: a drifted view is rewritten whole, only when no
/// other action rewrites it, and a record's permissions are part of its header.
struct GuestViewPlanTests {
    static let region = PlannerTests.region
    static var record: RegionRecord { PlannerTests.convergedRecord() }
    static var borrower: RoleNode { RoleNode(domid: PlannerTests.logger.domid, id: region.id) }
    static var owner: RoleNode { RoleNode(domid: PlannerTests.sensor.domid, id: region.id) }

    static func plan(_ change: (inout ActualState) -> Void) -> Plan {
        var actual = PlannerTests.convergedActual()
        change(&actual)
        return PlannerTests.planFor(actual: actual)
    }

    @Test func aDriftedBorrowerViewIsRewrittenWholeAsMapped() throws {
        let result = Self.plan {
            $0.views[Self.borrower]?.values["begin"] = "0x0"
            $0.views[Self.borrower]?.permissions["state"] = "r0"
            $0.views[Self.borrower]?.children.append("stray")
        }
        #expect(
            result.actions.map(\.line) == [
                "~ repair telemetry: borrower logger-vm (dom5): rewrite its view: begin, permissions, unexpected stray"
            ])
        let steps = try #require(result.actions.first?.steps)
        guard case .writeView(let view) = try #require(steps.first) else {
            Issue.record("expected a view rewrite, got \(steps)")
            return
        }
        #expect(view.domid == PlannerTests.logger.domid)
        #expect(view.leaves.map(\.name) == GuestView.leafNames)
        #expect(view.leaves.last == ViewLeaf("state", "mapped"))
        #expect(view.leaves.first { $0.name == "peer" }?.value == "3")
    }

    @Test func aMissingOwnerViewIsRewrittenWithoutItsSummary() throws {
        let result = Self.plan { $0.views[Self.owner] = nil }
        #expect(result.actions.map(\.line) == ["~ repair telemetry: owner sensor-vm (dom3): rewrite its view: missing"])
        guard case .writeView(let view) = try #require(result.actions.first?.steps.first) else {
            Issue.record("expected a view rewrite")
            return
        }
        #expect(view.leaves.map(\.name) == GuestView.ownerStaticNames)
    }

    @Test func anOwnerSummaryThatDisagreesWithTheEntriesIsRepaired() {
        let result = Self.plan { $0.views[Self.owner]?.values["state"] = "waiting" }
        #expect(result.actions.map(\.line) == ["~ repair telemetry: owner sensor-vm (dom3): rewrite its view: state"])
    }

    /// The transaction that maps or rewrites an entry rewrites that member's view, and the owner's summary.
    @Test func aViewIsNotRepairedTwiceWhenAnotherActionRewritesIt() {
        let result = Self.plan {
            $0.records[Self.region.id]?.borrowers[PlannerTests.logger.domid]?.prot = .ro
            $0.views[Self.borrower]?.values["begin"] = "0x0"
            $0.views[Self.owner]?.values["peer"] = ""
        }
        #expect(result.actions.map(\.line) == ["~ repair telemetry: borrower logger-vm (dom5): rewrite prot"])
    }

    @Test func aRecordWhoseNodeAnyoneMayReadGetsItsHeaderRewritten() {
        let result = Self.plan { $0.recordPermissions[Self.region.id] = "n0,r5" }
        #expect(
            result.actions.map(\.line) == [
                "~ repair telemetry: owner sensor-vm (dom3): rewrite permissions (n0,r5)"
            ])
        #expect(result.actions.first?.steps.count == 1)
    }

    @Test func viewsOfAConvergedRegionNeedNothing() {
        #expect(Self.plan { _ in }.isEmpty)
    }
}
