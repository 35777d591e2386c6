import Foundation
import SSHMCore
import Testing

@Suite struct ExportSelectionTests {
    /// `rtos` owns `mailbox`; domid 7 borrows it; `linux-gw` borrows `log` from domid 6.
    static let mixed = """
        version: 1
        regions:
          - id: mailbox
            owner: {domain: rtos, begin: 0x7fe00000, size: 1MiB}
            borrowers:
              - {domain: 7, begin: 0x1000000000}
          - id: log
            owner: {domain: 6, begin: 0x7ff00000, size: 1MiB}
            borrowers:
              - {domain: linux-gw, begin: 0x1000100000, offset: 512KiB}

        """

    static func regions(_ text: String = mixed) -> [Region] { validate([("m.yaml", text)]).regions }

    @Test func aDomainNamedAsTheManifestsNameItNeedsNoXenstore() throws {
        let outcome = ExportSelection.select(.name("rtos"), in: try ExportFixture.regions())
        guard case .regions(let found) = outcome else {
            Issue.record("expected regions, got \(outcome)")
            return
        }
        #expect(found.map(\.id.rawValue) == ["rtos-mailbox", "rtos-log"])
        #expect(found.allSatisfy { $0.role == .owner && $0.offset == .zero })
    }

    @Test func aBorrowerSeesItsOwnAddressSizeOffsetAndProt() throws {
        let names = DomainNames([DomID(unchecked: 6): "rtos"])
        let found = ExportSelection.select(.name("linux-gw"), in: Self.regions(), names: names)
        let log = try #require(found.first)
        #expect(log.role == .borrower)
        #expect(log.address.rawValue == 0x10_0010_0000)
        #expect(log.size.rawValue == 0x8_0000)
        #expect(log.offset.rawValue == 0x8_0000)
        #expect(log.prot == .rw)
        #expect(log.owner == .id(DomID(unchecked: 6)))
    }

    @Test func referencesWrittenTheOtherWayNeedNames() {
        let outcome = ExportSelection.select(.name("rtos"), in: Self.regions())
        guard case .needsNames(let unresolved) = outcome else { return #expect(Bool(false)) }
        #expect(
            unresolved.map(\.description) == [
                "domid 7 (region 'mailbox', m.yaml:3)", "domid 6 (region 'log', m.yaml:7)",
            ])
    }

    @Test func xenstoreNamesRelateDomidsToNames() {
        let names = DomainNames([DomID(unchecked: 6): "rtos", DomID(unchecked: 7): "linux-gw"])
        let rtos = ExportSelection.select(.name("rtos"), in: Self.regions(), names: names)
        let seven = ExportSelection.select(.id(DomID(unchecked: 7)), in: Self.regions(), names: names)
        #expect(rtos.map { "\($0.id) \($0.role)" } == ["mailbox owner", "log owner"])
        #expect(seven.map { "\($0.id) \($0.role)" } == ["mailbox borrower", "log borrower"])
        // A domain that does not run has no domid: only the references by name are it.
        let absent = ExportSelection.select(.name("rtos"), in: Self.regions(), names: DomainNames([:]))
        #expect(absent.map { "\($0.id) \($0.role)" } == ["mailbox owner"])
    }

    @Test func domainZeroNeedsNoXenstore() {
        let text = Self.mixed.replacingOccurrences(of: "domain: 7", with: "domain: Domain-0")
            .replacingOccurrences(of: "domain: 6", with: "domain: rtos")
        guard case .regions(let found) = ExportSelection.select(.id(.dom0), in: Self.regions(text))
        else { return #expect(Bool(false)) }
        #expect(found.map(\.id.rawValue) == ["mailbox"])
        guard case .regions(let rtos) = ExportSelection.select(.name("rtos"), in: Self.regions(text))
        else { return #expect(Bool(false)) }
        #expect(rtos.map(\.id.rawValue) == ["mailbox", "log"])
    }

    @Test func regionOptionsKeepTheNamedRegionsAndNameEveryMistake() throws {
        let found = [GuestRegion(owning: try #require(Self.regions().first))]
        let declared: Set<RegionID> = [try #require(RegionID("mailbox")), try #require(RegionID("log"))]
        let ids = ["mailbox", "log", "nope"].compactMap(RegionID.init)
        #expect(
            ExportSelection.only(ids, of: found, domain: .name("rtos"), declared: declared).failure?.messages == [
                "rtos takes no part in region 'log'; drop --region log or export the domain that does",
                "no manifest declares region 'nope'; check the id with 'sshm-reconcile validate'",
            ])
        #expect(
            try ExportSelection.only(Array(ids.prefix(1)), of: found, domain: .name("rtos"), declared: declared).get()
                == found)
    }

    @Test func aDomainNamedTwiceInOneRegionIsAnError() throws {
        let text = Self.mixed.replacingOccurrences(of: "domain: 7", with: "domain: 6")
        let names = DomainNames([DomID(unchecked: 6): "rtos"])
        let found = ExportSelection.select(.name("rtos"), in: Self.regions(text), names: names)
        #expect(
            ExportSelection.duplicates(found, domain: .name("rtos")).map(\.description) == [
                "m.yaml:3:9: error: rtos takes part in region 'mailbox' twice (named once by name and once by "
                    + "domid); name it one way in the region"
            ])
    }
}
