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
            records: ObservationCache.index(records))
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

    /// A cache over the fake xenstore with dom0 and the simulated hypervisor, refreshed after one watch event.
    struct Host {
        let directory: TemporaryDirectory
        let store = InMemoryXenStore()
        let hypervisor: SimulatedHypervisor
        var desired = Build.desired([telemetry])
        var cache = ObservationCache()

        init() throws {
            directory = try TemporaryDirectory()
            try TestDomains.createDom0(in: store)
            hypervisor = SimulatedHypervisor(store: store, stateFile: directory.path + "/simulated.json")
        }

        /// - Returns: the scope of the refresh after `path` fired for `token`.
        mutating func refresh(after path: String, token: String = ObservationCache.Token.records) throws
            -> Set<RegionID>?
        {
            var wakeups = Wakeups()
            wakeups.add(path: path, token: token)
            cache.absorb(wakeups)
            return try cache.refresh(
                desired: desired, store: store, hypervisor: hypervisor, logger: .quiet, scanAll: false
            ).scope
        }
    }

    /// A watch registered again (its connection came back, or the daemon started) fires on `/libxl/static_shm`
    /// itself. Events may have been missed meanwhile, so the next refresh reads everything; a record's own event
    /// reads that record only.
    @Test func theRecordsRootFiringReadsEverythingAgain() throws {
        var host = try Host()
        defer { host.directory.remove() }
        func refresh(after path: String) throws -> String {
            _ = try host.refresh(after: path)
            return host.cache.lastRefresh
        }
        #expect(try refresh(after: "/libxl/static_shm/telemetry") == "full", "the first refresh reads everything")
        #expect(try refresh(after: "/libxl/static_shm/telemetry") == "records=1")
        #expect(try refresh(after: "/libxl/static_shm") == "full")
    }

    /// The records' index (which a domain's departure is looked up in) follows every reload of a record: once the
    /// record lists another borrower, the old one's departure no longer affects it and the new one's does.
    @Test func aReloadedRecordIsAffectedByTheDomainsItListsNow() throws {
        var host = try Host()
        defer { host.directory.remove() }
        let store = host.store
        let first = try TestDomains.create("first-vm", in: store)
        let second = try TestDomains.create("second-vm", in: store)
        // Declared with domains that never run, so that only the record can tie it to first-vm or second-vm.
        let record = XenStorePath("/libxl/static_shm/\(Self.telemetry.id)")
        try store.write(record.appending("master"), "0", in: nil)
        try store.write(record.appending("slaves/\(first.domid)/state"), "mapped", in: nil)
        _ = try host.refresh(after: "/libxl/static_shm")
        try store.remove(record.appending("slaves/\(first.domid)"), in: nil)
        try store.write(record.appending("slaves/\(second.domid)/state"), "mapped", in: nil)
        #expect(try host.refresh(after: record.rawValue + "/slaves") == [Self.telemetry.id])

        let domains = ObservationCache.Token.domains
        try TestDomains.destroy(first, in: store)
        #expect(try host.refresh(after: "@releaseDomain", token: domains) == [])
        try TestDomains.destroy(second, in: store)
        #expect(try host.refresh(after: "@releaseDomain", token: domains) == [Self.telemetry.id])
    }

    /// Declarations change only when the daemon loads the config dir again, and it says so: only then does a refresh
    /// look for declared ids it never read. Going through every declared id on every event cost a pass at 1,000
    /// regions a tenth of a millisecond before its first read.
    @Test func aRegionDeclaredByAReloadIsReadByTheNextRefresh() throws {
        var host = try Host()
        defer { host.directory.remove() }
        let telemetry = "/libxl/static_shm/\(Self.telemetry.id)"
        _ = try host.refresh(after: telemetry)
        host.desired = Build.desired([Self.telemetry, Self.video])
        #expect(try host.refresh(after: telemetry) == [Self.telemetry.id], "no reload yet")
        host.cache.markDeclarationsChanged()
        #expect(try host.refresh(after: telemetry) == [Self.telemetry.id, Self.video.id])
        #expect(try host.refresh(after: telemetry) == [Self.telemetry.id], "read once")
    }
}
