import SSHMCore
import Testing

@Suite struct CrossFileRulesTests {
    static func region(_ id: String, owner: String, begin: String, size: String = "2MiB", borrower: String? = nil)
        -> String
    {
        var text = "  - id: \(id)\n    owner: {domain: \(owner), begin: \(begin), size: \(size)}\n"
        if let borrower { text += "    borrowers: [\(borrower)]\n" }
        return text
    }

    static func manifest(_ regions: String...) -> String { "version: 1\nregions:\n" + regions.joined() }

    @Test func theFirstFileWinsADuplicateIDAndTheLaterOneFreezes() {
        let state = validate([
            ("10-a.yaml", Self.manifest(Self.region("ring", owner: "a", begin: "0x100000"))),
            ("20-b.yaml", Self.manifest(Self.region("ring", owner: "b", begin: "0x100000"))),
        ])
        #expect(state.validSources == ["10-a.yaml"])
        #expect(state.frozenSources == ["20-b.yaml"])
        #expect(state.regions.map(\.owner.domain) == [.name("a")])
        #expect(
            state.diagnostics.map(\.description) == [
                "20-b.yaml:3:9: error: region id 'ring' is already declared at 10-a.yaml:3:9; rename or remove one "
                    + "of them (the first declaration wins)",
                "10-a.yaml:3:9: note: 'ring' is first declared here",
            ])
    }

    @Test func aDuplicateIDInOneFileFreezesThatFile() {
        let state = validate([
            (
                "m.yaml",
                Self.manifest(
                    Self.region("ring", owner: "a", begin: "0x100000"), Self.region("ring", owner: "b", begin: "0x0"))
            )
        ])
        #expect(state.frozenSources == ["m.yaml"])
        #expect(state.diagnostics.count == 2)
    }

    @Test func overlappingOwnerRangesAcrossFilesNameBothPlaces() {
        let state = validate([
            ("10-a.yaml", Self.manifest(Self.region("a", owner: "vm1", begin: "0x100000"))),
            ("20-b.yaml", Self.manifest(Self.region("b", owner: "vm1", begin: "0x200000"))),
        ])
        #expect(state.frozenSources == ["20-b.yaml"])
        #expect(
            state.diagnostics.map(\.description) == [
                "20-b.yaml:4:33: error: the owner range 0x200000-0x3fffff of region 'b' overlaps the owner range "
                    + "0x100000-0x2fffff of region 'a' in vm1; move one of them",
                "10-a.yaml:4:33: note: region 'a' uses 0x100000-0x2fffff in vm1 here",
            ])
    }

    @Test func aBorrowerRangeMayNotOverlapAnOwnerRangeInTheSameDomain() {
        let state = validate([
            (
                "m.yaml",
                Self.manifest(
                    Self.region("a", owner: "vm1", begin: "0x100000"),
                    Self.region("b", owner: "vm2", begin: "0x0", borrower: "{domain: vm1, begin: 0x2ff000}"))
            )
        ])
        #expect(
            state.diagnostics.map(\.description) == [
                "m.yaml:7:38: error: the borrower range 0x2ff000-0x4fefff of region 'b' overlaps the owner range "
                    + "0x100000-0x2fffff of region 'a' in vm1; move one of them",
                "m.yaml:4:33: note: region 'a' uses 0x100000-0x2fffff in vm1 here",
            ])
    }

    @Test func theEarlierDeclarationWinsEvenWhenItStartsHigher() {
        let state = validate([
            ("10-a.yaml", Self.manifest(Self.region("a", owner: "vm1", begin: "0x300000"))),
            ("20-b.yaml", Self.manifest(Self.region("b", owner: "vm1", begin: "0x200000"))),
        ])
        #expect(state.frozenSources == ["20-b.yaml"])
    }

    @Test func adjacentRangesAndOtherDomainsDoNotOverlap() {
        let state = validate([
            (
                "m.yaml",
                Self.manifest(
                    Self.region("a", owner: "vm1", begin: "0x100000"),
                    Self.region("b", owner: "vm1", begin: "0x300000"),
                    Self.region("c", owner: "vm2", begin: "0x100000"),
                    Self.region("d", owner: "0", begin: "0x100000"),
                    Self.region("e", owner: "vm3", begin: "0x0", borrower: "{domain: Domain-0, begin: 0x300000}"))
            )
        ])
        #expect(state.diagnostics.isEmpty)
    }

    @Test func domainZeroByNameAndByDomidIsOneDomain() {
        let state = validate([
            (
                "m.yaml",
                Self.manifest(
                    Self.region("d", owner: "0", begin: "0x100000"),
                    Self.region("e", owner: "vm3", begin: "0x0", borrower: "{domain: Domain-0, begin: 0x200000}"))
            )
        ])
        #expect(state.diagnostics.first?.message.contains("overlaps the owner range") == true)
    }

    @Test func reportsEachOverlappingRangeOnceAmongMany() {
        // One wide range under ten small ones: ten errors, not forty-five pairs.
        var regions = [Self.region("wide", owner: "vm1", begin: "0x0", size: "64MiB")]
        for index in 0..<10 {
            regions.append(Self.region("r\(index)", owner: "vm1", begin: "\(index + 1)MiB", size: "4KiB"))
        }
        let state = validate([("m.yaml", "version: 1\nregions:\n" + regions.joined())])
        #expect(state.diagnostics.filter { $0.severity == .error }.count == 10)
    }

    @Test func aRegionThatLostItsIDIsLeftOutOfTheOverlapCheck() {
        let state = validate([
            ("10-a.yaml", Self.manifest(Self.region("a", owner: "vm1", begin: "0x100000"))),
            ("20-b.yaml", Self.manifest(Self.region("a", owner: "vm1", begin: "0x100000"))),
        ])
        #expect(state.diagnostics.filter { $0.severity == .error }.count == 1)
    }
}
