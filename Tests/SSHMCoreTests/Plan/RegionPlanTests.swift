import SSHMCore
import SSHMTestSupport
import Testing

/// The parts of a region plan: each step of each action lands in the part that runs it, tagged with its action.
struct RegionPlanTests {
    typealias Fixture = PlannerTests

    @Test func aRecoveredIntentIsUnmappedInTheTeardownAndMappedAgainByTheSameAction() throws {
        let result = Fixture.planFor(actual: Fixture.convergedActual(Fixture.convergedRecord(state: .mapping)))
        let region = try #require(result.regions.first)
        #expect(region.unmaps.map(\.action) == [0])
        #expect(region.unmaps.map(\.item.domid) == [Fixture.logger.domid])
        #expect(region.maps.map(\.action) == [0])
        #expect(region.maps.map(\.item.domain) == [Fixture.logger])
        #expect(region.removals.isEmpty && region.forgets.isEmpty)
        #expect(!region.hasOnlyUpdates)
    }

    @Test func aNewRegionHasOnlyEditsAndMapsAndNamesTheOwnerItWrites() throws {
        let region = try #require(Fixture.planFor().regions.first)
        #expect(region.hasOnlyUpdates)
        #expect(region.writtenOwner == Fixture.sensor.domid)
        #expect(region.edits.contains { if case .writeOwner = $0.item { true } else { false } })
        #expect(region.maps.map(\.item.domain) == [Fixture.logger])
        #expect(region.actions == Fixture.planFor().actions)
    }

    @Test func aTeardownEndsWithTheRemovalOfTheRecord() throws {
        let result = Fixture.planFor(actual: Fixture.convergedActual(), domains: [Fixture.logger])
        let region = try #require(result.regions.first)
        #expect(region.unmaps.map(\.item.domid) == [Fixture.logger.domid])
        #expect(region.removals.map(\.item) == [Fixture.sensor.domid])
        #expect(region.edits.isEmpty && region.maps.isEmpty)
    }

    @Test func aPlanOfActionsGroupsThemByRegionInIdOrder() {
        func action(_ id: String, _ subject: String) -> Action {
            Action(kind: .gc, region: Build.id(id), subject: subject, detail: "", steps: [.removeIndex])
        }
        let plan = Plan(actions: [action("b", "1"), action("a", "2"), action("b", "3")])
        #expect(plan.regions.map(\.id) == [Build.id("a"), Build.id("b")])
        #expect(plan.regions.map { $0.actions.map(\.subject) } == [["2"], ["1", "3"]])
        #expect(plan.regions.map { $0.edits.map(\.action) } == [[0], [0, 1]])
    }
}
