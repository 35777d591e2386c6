import SSHMCore
import SSHMTestSupport
import Testing

struct ReadinessTests {
    static let sensor = Build.domain("sensor-vm", 3)
    static let logger = Build.domain("logger-vm", 5)
    static let region = Build.region("telemetry", owner: "sensor-vm", borrowers: [("logger-vm", 0x10_0000_0000)])
    static let desired = Build.desired([region])
    static let id = region.id

    /// The record of `region` with the borrower's entry at `state` (none: no entry).
    static func record(_ state: BorrowerState? = .mapped, source: String = region.source) -> RegionRecord {
        var record = RegionRecord(
            id: id, owner: sensor.domid, begin: region.owner.begin, size: region.owner.size, prot: .rw,
            usercnt: state == .mapped ? 2 : 1, manager: RegionRecord.managerName, source: source,
            ownerUUID: sensor.uuid)
        if let state {
            record.borrowers[logger.domid] = BorrowerRecord(domid: logger.domid, uuid: logger.uuid, state: state)
        }
        return record
    }

    static func observe(
        record: RegionRecord? = record(), owner: String? = "ready", borrower: String? = "mapped",
        conditions: [RegionID: RegionCondition] = [:], domains: [Domain] = [sensor, logger]
    ) -> ReadinessObservation {
        var views: [RoleNode: String] = [:]
        views[RoleNode(domid: sensor.domid, id: id)] = owner
        views[RoleNode(domid: logger.domid, id: id)] = borrower
        return ReadinessObservation(
            domains: DomainTable(domains), records: record.map { [id: $0] } ?? [:], views: views,
            conditions: conditions)
    }

    /// A verdict's outcome and messages.
    enum Summary: Equatable {
        case unknown([String]), frozen([String]), ready([String]), failed([String]), waiting([String])
    }

    static func verdict(
        _ request: ReadinessRequest, _ observation: ReadinessObservation, desired: DesiredState = desired
    ) -> Summary {
        let verdict = Readiness.verdict(request, desired: desired, observation: observation)
        switch verdict.outcome {
        case .unknown: return .unknown(verdict.messages)
        case .frozen: return .frozen(verdict.messages)
        case .ready: return .ready(verdict.messages)
        case .failed: return .failed(verdict.messages)
        case .waiting: return .waiting(verdict.messages)
        }
    }

    static let waitForLogger = ReadinessRequest(domains: [.name("logger-vm")])

    static func refused(_ fingerprint: String?) -> [RegionID: RegionCondition] {
        [id: RegionCondition(.failed, reason: .refused, message: "refused to map", fingerprint: fingerprint)]
    }

    @Test func aBorrowerIsInPlaceOnlyWhenItsRecordAndItsViewBothSayMapped() {
        #expect(
            Self.verdict(Self.waitForLogger, Self.observe()) == .ready(["telemetry: borrower logger-vm (dom5) mapped"]))
        #expect(
            Self.verdict(Self.waitForLogger, Self.observe(borrower: "mapping"))
                == .waiting(["telemetry: borrower logger-vm (dom5) has its guest view at mapping"]))
        #expect(
            Self.verdict(Self.waitForLogger, Self.observe(record: Self.record(.mapping)))
                == .waiting(["telemetry: borrower logger-vm (dom5) is being mapped"]))
        #expect(
            Self.verdict(Self.waitForLogger, Self.observe(borrower: nil))
                == .waiting(["telemetry: borrower logger-vm (dom5) has no guest view yet"]))
        #expect(
            Self.verdict(Self.waitForLogger, Self.observe(record: nil))
                == .waiting(["telemetry: borrower logger-vm (dom5) is not recorded yet"]))
        #expect(
            Self.verdict(Self.waitForLogger, Self.observe(record: Self.record(nil)))
                == .waiting(["telemetry: borrower logger-vm (dom5) is not recorded yet"]))
    }

    @Test func anOwnerIsInPlaceOnceRecordedWithAViewWhetherOrNotItsBorrowersAreMapped() {
        let request = ReadinessRequest(domains: [.name("sensor-vm")])
        let recorded = Summary.ready(["telemetry: owner sensor-vm (dom3) recorded"])
        #expect(Self.verdict(request, Self.observe(owner: "waiting", borrower: nil)) == recorded)
        #expect(Self.verdict(request, Self.observe(owner: "ready")) == recorded)
        #expect(
            Self.verdict(request, Self.observe(owner: nil))
                == .waiting(["telemetry: owner sensor-vm (dom3) has no guest view yet"]))
        #expect(
            Self.verdict(request, Self.observe(record: nil))
                == .waiting(["telemetry: owner sensor-vm (dom3) is not recorded yet"]))
    }

    @Test func aViewStateIsReadStrictlyAndBoundedWhateverTheNodeHolds() {
        for value in ["mapped ", "MAPPED", "mapped\0", String(repeating: "mapped", count: 1000), ""] {
            #expect(
                Self.verdict(Self.waitForLogger, Self.observe(borrower: value))
                    == .waiting(["telemetry: borrower logger-vm (dom5) has an unreadable guest view state"]),
                "\(value.prefix(20))")
        }
        #expect(ViewState(node: "mapped") == .mapped)
        #expect(ViewState(node: String(repeating: "x", count: 17)) == nil)
    }

    @Test func aDomidFindsTheRegionsAManifestNamesItInAndDomain0IsDomid0() {
        #expect(
            Self.verdict(ReadinessRequest(domains: [.id(Self.logger.domid)]), Self.observe())
                == .ready(["telemetry: borrower logger-vm (dom5) mapped"]))
        let dom0 = Build.domain("Domain-0", 0)
        let toDom0 = Build.region("to-dom0", owner: "sensor-vm", borrowers: [("Domain-0", 0x10_0000_0000)])
        let request = ReadinessRequest(domains: [.id(.dom0)])
        let scope = Readiness.scope(
            request, desired: Build.desired([toDom0]), domains: DomainTable([dom0, Self.sensor]))
        #expect(scope.parts.map(\.description) == ["to-dom0: borrower Domain-0 (dom0)"])
        #expect(scope.unknown.isEmpty)
    }

    @Test func aNameOrIdNoManifestMentionsIsUnknownEvenWhenTheDomainRuns() {
        let stranger = Build.domain("stranger", 9)
        let request = ReadinessRequest(domains: [.name("stranger"), .id(Build.domid(42))], regions: [Build.id("nope")])
        #expect(
            Self.verdict(request, Self.observe(domains: [Self.sensor, Self.logger, stranger]))
                == .unknown(["domain stranger", "domain domid 42", "region nope"]))
    }

    @Test func aDomainAManifestMentionsWaitsWhileItDoesNotRunOrItsNameIsAmbiguous() {
        #expect(
            Self.verdict(Self.waitForLogger, Self.observe(record: nil, domains: [Self.sensor]))
                == .waiting(["domain logger-vm is not running"]))
        let twin = Build.domain("logger-vm", 6)
        #expect(
            Self.verdict(Self.waitForLogger, Self.observe(domains: [Self.sensor, Self.logger, twin]))
                == .waiting(["domain logger-vm is ambiguous (2 domains carry that name: give its domid)"]))
    }

    @Test func aRegionIsReadyWhenEveryMemberIsInPlaceAndWaitsForAMemberThatDoesNotRun() {
        let request = ReadinessRequest(regions: [Self.id])
        #expect(
            Self.verdict(request, Self.observe())
                == .ready(["telemetry: owner sensor-vm (dom3) recorded", "telemetry: borrower logger-vm (dom5) mapped"])
        )
        #expect(
            Self.verdict(request, Self.observe(borrower: "mapping"))
                == .waiting(["telemetry: borrower logger-vm (dom5) has its guest view at mapping"]))
        #expect(
            Self.verdict(request, Self.observe(record: Self.record(nil), owner: "waiting", domains: [Self.sensor]))
                == .waiting(["telemetry: borrower logger-vm is not running"]))
    }

    @Test func aFailedRegionEndsTheWaitForAPartNotInPlaceButNotForOneInPlace() throws {
        let current = try #require(
            Fingerprint.of(region: Self.region, domains: DomainTable([Self.sensor, Self.logger]), mapSpace: "auto"))
        let failed = Self.observe(record: Self.record(nil), borrower: nil, conditions: Self.refused(current))
        #expect(Self.verdict(Self.waitForLogger, failed) == .failed(["telemetry: refused to map"]))
        #expect(Self.verdict(ReadinessRequest(regions: [Self.id]), failed) == .failed(["telemetry: refused to map"]))
        // The owner's part is in place: the region's failure is someone else's.
        #expect(
            Self.verdict(ReadinessRequest(domains: [.name("sensor-vm")]), failed)
                == .ready(["telemetry: owner sensor-vm (dom3) recorded"]))
        #expect(
            Self.verdict(Self.waitForLogger, Self.observe(record: Self.record(nil), conditions: Self.refused(nil)))
                == .failed(["telemetry: refused to map"]))
    }

    @Test func aFailureOfDomainsThatAreGoneDoesNotEndTheWait() throws {
        // The borrower was refused as dom5 with another UUID: logger-vm was recreated since, and the next pass
        // tries again.
        let before = Build.domain("logger-vm", 5, uuid: 77)
        let stale = try #require(
            Fingerprint.of(region: Self.region, domains: DomainTable([Self.sensor, before]), mapSpace: "auto"))
        let observation = Self.observe(record: Self.record(nil), borrower: nil, conditions: Self.refused(stale))
        #expect(
            Self.verdict(Self.waitForLogger, observation)
                == .waiting(["telemetry: borrower logger-vm (dom5) is not recorded yet"]))
        // Planned with another map space than the wait's default: still this input.
        let share = try #require(
            Fingerprint.of(region: Self.region, domains: DomainTable([Self.sensor, Self.logger]), mapSpace: "share"))
        #expect(
            Self.verdict(Self.waitForLogger, Self.observe(borrower: nil, conditions: Self.refused(share)))
                == .failed(["telemetry: refused to map"]))
    }

    @Test func aRegionOfAnInvalidManifestIsFrozenForItsIdAndItsRecordedDomains() {
        let source = "/etc/sshm.d/20-broken.yaml"
        let desired = DesiredState(files: [
            ManifestFile(path: Self.region.source, status: .valid([]), diagnostics: []),
            ManifestFile(path: source, status: .frozen, diagnostics: []),
        ])
        let observation = Self.observe(record: Self.record(source: source))
        let frozen = Summary.frozen([
            "telemetry: its manifest \(source) is invalid and the region is Frozen: fix it (`sshm-reconcile validate`)"
        ])
        #expect(Self.verdict(ReadinessRequest(regions: [Self.id]), observation, desired: desired) == frozen)
        #expect(Self.verdict(Self.waitForLogger, observation, desired: desired) == frozen)
        // Without its record nothing tells the region's members: the name is unknown.
        #expect(
            Self.verdict(Self.waitForLogger, Self.observe(record: nil), desired: desired)
                == .unknown(["domain logger-vm"]))
    }
}

@Suite("Readiness with doorbells")
struct DoorbellReadinessTests {
    typealias R = ReadinessTests

    static var desired: DesiredState {
        var region = R.region
        region.borrowers[0].doorbell = true
        return Build.desired([region])
    }

    static func observe(_ state: DoorbellState?) -> ReadinessObservation {
        var observation = R.observe()
        if let state { observation.doorbells[R.id] = [R.logger.domid: state] }
        return observation
    }

    @Test func aMappedPartWaitsForItsDoorbellOnlyWhenAskedTo() {
        let both = ReadinessRequest(domains: [.name("logger-vm"), .name("sensor-vm")], doorbell: true)
        #expect(
            R.verdict(both, Self.observe(.waitingForBorrower), desired: Self.desired)
                == .waiting([
                    "telemetry: owner sensor-vm (dom3) has its doorbell with dom5 waiting for borrower",
                    "telemetry: borrower logger-vm (dom5) has its doorbell waiting for borrower",
                ]))
        #expect(
            R.verdict(both, Self.observe(nil), desired: Self.desired)
                == .waiting([
                    "telemetry: owner sensor-vm (dom3) has its doorbell with dom5 not set up yet",
                    "telemetry: borrower logger-vm (dom5) has its doorbell not set up yet",
                ]))
        #expect(
            R.verdict(both, Self.observe(.connected), desired: Self.desired)
                == .ready([
                    "telemetry: owner sensor-vm (dom3) recorded, doorbell connected",
                    "telemetry: borrower logger-vm (dom5) mapped, doorbell connected",
                ]))
        #expect(
            R.verdict(R.waitForLogger, Self.observe(.broken("x")), desired: Self.desired)
                == .ready(["telemetry: borrower logger-vm (dom5) mapped"]))
    }

    @Test func aRegionWithoutDoorbellsIsReadyAsBefore() {
        let request = ReadinessRequest(regions: [R.id], doorbell: true)
        #expect(
            R.verdict(request, R.observe())
                == .ready(["telemetry: owner sensor-vm (dom3) recorded", "telemetry: borrower logger-vm (dom5) mapped"])
        )
    }
}
