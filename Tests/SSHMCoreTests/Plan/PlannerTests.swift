import SSHMCore
import SSHMTestSupport
import Testing

struct PlannerTests {
    static let sensor = Build.domain("sensor-vm", 3)
    static let logger = Build.domain("logger-vm", 5)
    static let region = Build.region("telemetry", owner: "sensor-vm", borrowers: [("logger-vm", 0x10_0000_0000)])

    /// The record sshm-reconcile leaves behind once `region` is fully mapped.
    static func convergedRecord(
        owner: Domain = sensor, borrower: Domain = logger, state: BorrowerState = .mapped
    ) -> RegionRecord {
        RegionRecord(
            id: region.id, owner: owner.domid, begin: region.owner.begin, size: region.owner.size, prot: .rw,
            cachePolicy: .x86Normal, usercnt: state == .mapped ? 2 : 1, manager: RegionRecord.managerName,
            source: region.source, ownerUUID: owner.uuid,
            borrowers: [
                borrower.domid: BorrowerRecord(
                    domid: borrower.domid, begin: region.borrowers[0].begin, size: region.owner.size, offset: .zero,
                    prot: .rw, uuid: borrower.uuid, state: state)
            ])
    }

    static func convergedActual(_ record: RegionRecord = convergedRecord()) -> ActualState {
        ActualState(
            records: [record.id: record], indexed: [record.id], views: Build.views(of: record),
            recordPermissions: [record.id: "n0"])
    }

    static func planFor(
        desired: DesiredState = Build.desired([region]), actual: ActualState = ActualState(),
        domains: [Domain] = [sensor, logger], options: PlanOptions = PlanOptions(configDirectory: "/etc/sshm.d")
    ) -> Plan {
        plan(PlanInput(desired: desired, actual: actual, domains: DomainTable(domains), options: options))
    }

    @Test func mapsOwnerAndBorrowerOfANewRegion() {
        let result = Self.planFor()
        #expect(
            result.actions.map(\.line) == [
                "+ map telemetry: owner sensor-vm (dom3): 0x7fe00000, 512 pages, rw",
                "+ map telemetry: borrower logger-vm (dom5): 0x1000000000, 512 pages from sensor-vm (dom3) 0x7fe00000",
            ])
        #expect(result.outlook[Self.region.id]?.kind == .ready)
    }

    @Test func doesNothingWhenConverged() {
        let result = Self.planFor(actual: Self.convergedActual())
        #expect(result.actions.isEmpty)
        #expect(result.outlook[Self.region.id]?.kind == .ready)
    }

    @Test func waitsForAMissingBorrowerWithoutFailing() {
        let result = Self.planFor(domains: [Self.sensor])
        #expect(result.actions.map(\.kind) == [.map])
        #expect(result.outlook[Self.region.id]?.kind == .pending)
        #expect(result.outlook[Self.region.id]?.reason == ConditionReason.waitingForBorrower)
    }

    @Test func recoversAnInterruptedMapByUnmappingTheWholeRangeFirst() throws {
        let result = Self.planFor(actual: Self.convergedActual(Self.convergedRecord(state: .mapping)))
        let action = try #require(result.actions.first)
        #expect(action.kind == .repair)
        let frames = Self.region.borrowers[0].begin.gfn..<(Self.region.borrowers[0].begin.gfn + 512)
        #expect(action.steps.first == .unmap(UnmapTarget(domid: Self.logger.domid, frames: frames)))
        guard case .map = action.steps.last else { Issue.record("no map after recovery"); return }
    }

    @Test func remapsABorrowerThatCameBackUnderANewDomid() {
        let rebooted = Build.domain("logger-vm", 9, uuid: 5)
        let result = Self.planFor(actual: Self.convergedActual(), domains: [Self.sensor, rebooted])
        #expect(
            result.actions.map(\.line) == [
                "-/+ remap telemetry: borrower logger-vm (dom9): dom5 → dom9 (same UUID)"
            ])
    }

    @Test func forgetsAStaleEntryWhenItsDomidNowBelongsToAnotherDomain() {
        let stranger = Build.domain("other-vm", 5, uuid: 77)
        let result = Self.planFor(actual: Self.convergedActual(), domains: [Self.sensor, stranger])
        #expect(result.actions.first?.line == "- gc telemetry: borrower dom5: the domain is gone")
        #expect(result.actions.first?.steps == [.forget(Self.logger.domid)])
    }

    @Test func tearsTheRegionDownWhenItsOwnerIsGone() {
        let result = Self.planFor(actual: Self.convergedActual(), domains: [Self.logger])
        #expect(result.actions.count == 1)
        #expect(result.actions.first?.kind == .gc)
        #expect(result.actions.first?.steps.last == .removeRecord(owner: Self.sensor.domid))
        #expect(result.outlook[Self.region.id]?.reason == ConditionReason.waitingForOwner)
    }

    @Test func refusesToTouchARecordItDoesNotManage() {
        var record = Self.convergedRecord()
        record.manager = nil
        let result = Self.planFor(actual: Self.convergedActual(record))
        #expect(result.actions.isEmpty)
        #expect(result.outlook[Self.region.id]?.kind == .failed)
        #expect(result.outlook[Self.region.id]?.reason == ConditionReason.conflict)
    }

    @Test func prunesARegionWhoseFileWasDeleted() {
        let other = Build.region(
            "other", owner: "sensor-vm", begin: 0x1000_0000, borrowers: [], source: "/etc/sshm.d/20-other.yaml")
        let desired = Build.desired([other], file: "/etc/sshm.d/20-other.yaml")
        let result = Self.planFor(desired: desired, actual: Self.convergedActual())
        #expect(
            result.actions.filter { $0.region == Self.region.id }.map(\.line) == [
                "- prune telemetry: record and 1 borrower: /etc/sshm.d/10-test.yaml was deleted"
            ])
    }

    @Test func prunesNothingWhenTheConfigDirIsEmpty() {
        let result = Self.planFor(desired: DesiredState(files: []), actual: Self.convergedActual())
        #expect(result.actions.isEmpty)
        #expect(result.notes.count == 1)
    }

    @Test func keepsTheRegionsOfAFrozenFile() {
        let desired = DesiredState(files: [
            ManifestFile(path: "/etc/sshm.d/10-test.yaml", status: .frozen, diagnostics: []),
            ManifestFile(
                path: "/etc/sshm.d/20-other.yaml",
                status: .valid([
                    Build.region(
                        "other", owner: "sensor-vm", begin: 0x1000_0000, borrowers: [],
                        source: "/etc/sshm.d/20-other.yaml")
                ]), diagnostics: []),
        ])
        let result = Self.planFor(desired: desired, actual: Self.convergedActual())
        #expect(!result.actions.contains { $0.region == Self.region.id })
        #expect(result.outlook[Self.region.id]?.kind == .frozen)
    }

    @Test func doesNotRetryATerminalFailureWhileItsInputIsUnchanged() {
        let first = Self.planFor()
        var failed = first.outlook[Self.region.id] ?? RegionCondition(.ready, reason: .converged, message: "")
        failed.kind = .failed
        failed.reason = ConditionReason.refused
        let again = plan(
            PlanInput(
                desired: Build.desired([Self.region]), actual: ActualState(),
                domains: DomainTable([Self.sensor, Self.logger]), previous: [Self.region.id: failed]))
        #expect(again.actions.isEmpty)
        let changed = plan(
            PlanInput(
                desired: Build.desired([Self.region]), actual: ActualState(),
                domains: DomainTable([Self.sensor, Build.domain("logger-vm", 6)]), previous: [Self.region.id: failed]))
        #expect(!changed.actions.isEmpty)
    }

    @Test func unmapsTheOldOwnersPagesWhenTheManifestNamesAnOwnerThatIsNotRunning() {
        var moved = Self.region
        moved.owner.domain = .name("new-owner-vm")
        let result = Self.planFor(desired: Build.desired([moved]), actual: Self.convergedActual())
        #expect(result.actions.map(\.kind) == [.gc])
        #expect(result.actions.first?.steps.last == .removeRecord(owner: Self.sensor.domid))
        #expect(result.outlook[Self.region.id]?.reason == ConditionReason.waitingForOwner)
    }

    @Test func leavesTheRecordAloneWhileTheOwnersNameIsAmbiguousAndTheRecordedOwnerCarriesIt() {
        let twin = Build.domain("sensor-vm", 7)
        let result = Self.planFor(actual: Self.convergedActual(), domains: [Self.sensor, twin, Self.logger])
        #expect(result.actions.isEmpty)
        #expect(result.outlook[Self.region.id]?.reason == ConditionReason.ambiguousDomain)
    }
}
