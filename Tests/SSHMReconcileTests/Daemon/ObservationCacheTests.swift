import SSHMCore
import SSHMTestSupport
import Testing

@testable import SSHMReconcile

struct ObservationCacheTests {
    static let sensor = Build.domain("sensor-vm", 3)
    static let logger = Build.domain("logger-vm", 5)
    static let camera = Build.domain("camera-vm", 7)
    static let telemetry = Build.region("telemetry", owner: "sensor-vm", borrowers: [("logger-vm", 0x10_0000_0000)])
    static let video = Build.region("video", owner: "camera-vm", begin: 0x1000_0000, borrowers: [])

    static func affected(_ before: [Domain], _ after: [Domain], records: [RegionRecord] = []) -> Set<RegionID> {
        ObservationCache.regions(
            affectedBy: DomainTable(before), DomainTable(after), desired: Build.desired([telemetry, video]),
            actual: ActualState(records: Dictionary(uniqueKeysWithValues: records.map { ($0.id, $0) })))
    }

    @Test func aNewDomainAffectsOnlyTheRegionsThatNameIt() {
        #expect(
            Self.affected([Self.sensor, Self.camera], [Self.sensor, Self.camera, Self.logger]) == [Self.telemetry.id])
    }

    @Test func aDomainThatComesBackUnderANewDomidAffectsTheRegionsOfBoth() {
        let reborn = Build.domain("camera-vm", 9, uuid: 7)
        #expect(Self.affected([Self.sensor, Self.camera], [Self.sensor, reborn]) == [Self.video.id])
    }

    @Test func aGoneDomainAffectsTheRegionsWhoseRecordsListIt() {
        let orphan = RegionRecord(
            id: Build.id("orphan"), owner: Self.sensor.domid,
            borrowers: [Build.domid(11): BorrowerRecord(domid: Build.domid(11))])
        let stranger = Build.domain("stranger", 11)
        #expect(Self.affected([Self.camera, stranger], [Self.camera], records: [orphan]) == [orphan.id])
    }

    @Test func anUnchangedDomainListAffectsNothing() {
        #expect(Self.affected([Self.sensor, Self.logger], [Self.logger, Self.sensor]).isEmpty)
    }

    /// A watch registered again (its connection came back, or the daemon started) fires on `/libxl/static_shm`
    /// itself. Events may have been missed meanwhile, so the next refresh reads everything; a record's own event
    /// reads that record only.
    @Test func theRecordsRootFiringReadsEverythingAgain() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = InMemoryXenStore()
        try TestDomains.createDom0(in: store)
        let hypervisor = SimulatedHypervisor(store: store, stateFile: directory.path + "/simulated.json")
        let desired = Build.desired([Self.telemetry])
        var cache = ObservationCache()
        func refresh(after path: String) throws -> String {
            var wakeups = Wakeups()
            wakeups.add(path: path, token: ObservationCache.Token.records)
            cache.absorb(wakeups)
            _ = try cache.refresh(
                desired: desired, store: store, hypervisor: hypervisor, logger: .quiet, scanAll: false)
            return cache.lastRefresh
        }
        #expect(try refresh(after: "/libxl/static_shm/telemetry") == "full", "the first refresh reads everything")
        #expect(try refresh(after: "/libxl/static_shm/telemetry") == "records=1")
        #expect(try refresh(after: "/libxl/static_shm") == "full")
    }
}
