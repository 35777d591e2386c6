import SSHMCore
import SSHMTestSupport
import Testing

/// The headline under `plan`: what the plan does, and what it leaves unmatched.
struct PlanRendererTests {
    static let id = Build.id("telemetry")
    static let other = Build.id("video")
    static let map = Action(kind: .map, region: id, subject: "owner sensor-vm (dom3)", detail: "", steps: [])
    static let ready = RegionCondition(.ready, reason: .converged, message: "")

    static func outlook(_ kinds: ConditionKind...) -> [RegionID: RegionCondition] {
        Dictionary(
            uniqueKeysWithValues: zip([id, other, Build.id("third")], kinds).map {
                ($0, RegionCondition($1, reason: .waitingForOwner, message: ""))
            })
    }

    @Test func nothingToDoAndEverythingReadySaysTheHostMatches() {
        #expect(
            PlanRenderer.summary(Plan(outlook: [Self.id: Self.ready]))
                == "No changes. The host matches the manifests.")
    }

    @Test func nothingToDoWithAFailedRegionSaysSoInsteadOfMatching() {
        #expect(
            PlanRenderer.summary(Plan(outlook: Self.outlook(.ready, .failed)))
                == "No changes, but not everything matches the manifests: "
                + "1 region Failed (`sshm-reconcile status` says why).")
    }

    @Test func nothingToDoWithAPendingRegionAndAnInvalidManifestNamesBoth() {
        #expect(
            PlanRenderer.summary(Plan(outlook: Self.outlook(.pending, .pending, .frozen)), invalidManifests: 1)
                == "No changes, but not everything matches the manifests: "
                + "2 regions Pending (waiting for a domain), 1 Frozen (left as they are); 1 manifest is invalid.")
    }

    @Test func anInvalidManifestAloneIsNotAMatch() {
        #expect(
            PlanRenderer.summary(Plan(), invalidManifests: 2)
                == "No changes, but not everything matches the manifests: 2 manifests are invalid.")
    }

    @Test func changesWithARegionLeftPendingSayWhatRemains() {
        #expect(
            PlanRenderer.summary(Plan(actions: [Self.map], outlook: Self.outlook(.pending)))
                == "Plan: 1 to map, 0 to unmap, 0 to remap, 0 to repair, 0 to gc, 0 to prune. "
                + "Afterwards still 1 region Pending (waiting for a domain).")
    }

    @Test func changesThatConvergeEverythingKeepTheTerraformLine() {
        #expect(
            PlanRenderer.text(Plan(actions: [Self.map], outlook: [Self.id: Self.ready]))
                == "+ map telemetry: owner sensor-vm (dom3)\n"
                + "Plan: 1 to map, 0 to unmap, 0 to remap, 0 to repair, 0 to gc, 0 to prune.\n")
    }
}
