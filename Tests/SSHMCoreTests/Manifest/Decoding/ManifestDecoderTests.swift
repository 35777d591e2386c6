import SSHMCore
import Testing

@Suite struct ManifestDecoderTests {
    @Test func appliesEveryDefault() throws {
        let yaml = """
            version: 1
            regions:
              - id: ring
                owner: {domain: sensor-vm, begin: 0x7fe00000, size: 2MiB}
                borrowers:
                  - {domain: logger-vm, begin: 0x1000000000, offset: 0x100000}
            """
        let state = validate([("m.yaml", yaml)], arch: .arm64)
        let region = try #require(state.regions.first)
        #expect(region.owner.prot == .rw)
        #expect(region.owner.cachePolicy == .armNormal)
        #expect(region.borrowers.first?.size == ByteSize(1 << 20))
        #expect(region.borrowers.first?.prot == .rw)
        #expect(region.location == SourceLocation(file: "m.yaml", line: 3, column: 9))
        #expect(validate([("m.yaml", yaml)], arch: .x86_64).regions.first?.owner.cachePolicy == .x86Normal)
    }

    @Test func borrowersInheritTheOwnersProt() throws {
        let yaml = telemetry(replacingLine: 7, with: "      size: 2MiB\n      prot: ro")
        let region = try #require(validate([("m.yaml", yaml)]).regions.first)
        #expect(region.borrowers.first?.prot == .ro)
    }

    @Test func readsSeveralRegionsAndDocumentsInOrder() {
        let yaml = """
            version: 1
            regions:
              - {id: a, owner: {domain: 1, begin: 0x1000, size: 4KiB}}
              - {id: b, owner: {domain: 1, begin: 0x2000, size: 4KiB}}
            ---
            ---
            version: 1
            regions:
              - {id: c, owner: {domain: 1, begin: 0x3000, size: 4KiB}}
            ...
            """
        let state = validate([("m.yaml", yaml)])
        #expect(state.diagnostics.isEmpty)
        #expect(state.regions.map(\.id.rawValue) == ["a", "b", "c"])
    }

    @Test func quotedScalarsFollowTheSameGrammar() {
        let yaml = """
            version: "1"
            regions:
              - id: '010'
                owner: {domain: "7", begin: '0x1000', size: "4KiB"}
            """
        let state = validate([("m.yaml", yaml)])
        #expect(state.diagnostics.isEmpty)
        #expect(state.regions.first?.owner.domain == .id(DomID(unchecked: 7)))
    }

    @Test func aByteOrderMarkDoesNotShiftColumns() {
        #expect(
            rendered("\u{FEFF}version: 3\nregions: []\n") == [
                "m.yaml:1:10: error: unsupported manifest version '3'; write 'version: 1', the only version this tool "
                    + "reads"
            ])
    }

    @Test func pointsAtTheFirstByteThatIsNotUTF8() {
        let bytes = Array("version: 1\nregions: [] # caf".utf8) + [0xE9, 0x0A]
        let state = ManifestSet.validate([ManifestInput(path: "m.yaml", bytes: bytes)], arch: .x86_64)
        #expect(
            state.diagnostics.map(\.description) == [
                "m.yaml:2:18: error: byte 0xE9 is not UTF-8 text; save the manifest as UTF-8"
            ])
    }

    @Test func reportsEveryBadRegionOfAFile() {
        let yaml = """
            version: 1
            regions:
              - {id: a, owner: {domain: 1, begin: 0x1001, size: 4KiB}}
              - {id: b, owner: {domain: 1, begin: 0x2000, size: 4097}}
            """
        #expect(rendered(yaml).count == 2)
    }

    @Test func neverEchoesALongValue() throws {
        let huge = String(repeating: "x", count: 100_000)
        let lines = rendered(telemetry(replacingLine: 7, with: "      size: \(huge)"))
        let line = try #require(lines.first)
        #expect(line.count < 200)
    }
}
