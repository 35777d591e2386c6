import SSHMCore
import Testing

@Suite struct XLImporterTests {
    static func configs(_ names: String...) throws -> [(path: String, text: String)] {
        try names.map { ($0, try Fixtures.text("xl", $0)) }
    }

    @Test func theSeriesExampleRoundTripsIntoAManifestThatValidates() throws {
        let result = XLImporter.convert(
            try Self.configs("series-vm1.cfg", "series-vm2.cfg", "fixed-vm3.cfg"), arch: .x86_64)
        #expect(result.diagnostics.isEmpty)
        let yaml = try #require(result.yaml)
        let state = validate([("imported.yaml", yaml)])
        #expect(state.diagnostics.isEmpty)
        #expect(state.regions.map(\.id.rawValue) == ["ID1", "ID2"])
        let first = try #require(state.regions.first)
        #expect(first.owner.domain == .name("vm1"))
        #expect(first.owner.begin == GuestAddress(0x100000))
        #expect(first.owner.cachePolicy == .x86Normal)
        #expect(first.borrowers.map(\.domain) == [.name("vm2")])
        #expect(first.borrowers.first?.begin == GuestAddress(0x500000))
        let second = try #require(state.regions.last)
        #expect(second.borrowers.first?.offset == Offset(0x10000))
        #expect(second.borrowers.first?.size == ByteSize(0xf0000))
        #expect(
            yaml.hasPrefix(
                "# Converted by sshm-reconcile import-xl from series-vm1.cfg, series-vm2.cfg, fixed-vm3.cfg."))
        #expect(yaml.contains("    owner:  # from series-vm1.cfg:3\n"))
        #expect(!yaml.contains("master"))
    }

    @Test func importedRegionsHaveNoDoorbellAndTheManifestValidates() throws {
        let result = XLImporter.convert(
            try Self.configs("series-vm1.cfg", "series-vm2.cfg", "fixed-vm3.cfg"), arch: .x86_64)
        let yaml = try #require(result.yaml)
        #expect(!yaml.contains("doorbell"))
        let state = validate([("imported.yaml", yaml)])
        #expect(!state.hasErrors)
        #expect(!state.regions.isEmpty)
        #expect(state.regions.flatMap(\.borrowers).allSatisfy { !$0.doorbell })
    }

    @Test func theSeriesOwnExampleIsInvalidAndTheFindingPointsAtTheXLEntry() throws {
        let result = XLImporter.convert(
            try Self.configs("series-vm1.cfg", "series-vm2.cfg", "series-vm3.cfg"), arch: .x86_64)
        #expect(result.yaml == nil)
        #expect(
            result.diagnostics.map(\.description) == [
                "series-vm3.cfg:3:62: error: offset 0x10000 + size 0x110000 reaches past the end of the owner's "
                    + "0x100000 bytes; write a size of at most 960KiB"
            ])
    }

    @Test func x86NormalOnArmPointsAtTheCachePolicyKey() throws {
        let result = XLImporter.convert(try Self.configs("series-vm1.cfg", "series-vm2.cfg"), arch: .arm64)
        #expect(
            result.diagnostics.map(\.description) == [
                "series-vm1.cfg:3:82: error: cache_policy x86_normal is not allowed on arm64, where guests share "
                    + "memory only as Normal write-back; write ARM_normal"
            ])
    }

    @Test func aRegionNeedsExactlyOneOwner() {
        let result = XLImporter.convert(
            [
                ("a.cfg", "name = \"a\"\nstatic_shm = [\"id=X, begin=0x1000, size=0x1000, role=owner\"]\n"),
                (
                    "b.cfg",
                    "name = \"b\"\nstatic_shm = [\"id=X, begin=0x1000, size=0x1000, role=owner\", \"id=Y, begin=0\"]\n"
                ),
            ], arch: .x86_64)
        #expect(
            result.diagnostics.map(\.description) == [
                "b.cfg:2:15: error: region 'X' has a second owner; only one domain may have role=owner",
                "a.cfg:2:15: note: the first owner of 'X' is here",
                "b.cfg:2:62: error: region 'Y' has no owner entry (role=owner) in the given configs; add the owner "
                    + "domain's config to the command line",
            ])
    }

    @Test func aConfigNeedsANameAndUsesEachIDOnce() {
        let unnamed = XLImporter.convert([("a.cfg", "static_shm = [\"id=X, begin=0\"]\n")], arch: .x86_64)
        #expect(
            unnamed.diagnostics.map(\.description) == [
                "a.cfg:1:1: error: the config has no name = \"…\"; add the domain's name"
            ])
        let twice = XLImporter.convert(
            [
                (
                    "a.cfg",
                    "name = \"a\"\nstatic_shm = [\"id=X, begin=0, role=owner, size=4096\",\n \"id=X, begin=0x1000\"]\n"
                )
            ],
            arch: .x86_64)
        #expect(
            twice.diagnostics.map(\.description) == [
                "a.cfg:3:6: error: id 'X' appears twice in this config; a domain may use each id once, so remove one "
                    + "entry",
                "a.cfg:2:19: note: 'X' first appears here",
            ])
    }
}
