import Foundation
import SSHMCore
import SSHMTestSupport
import Testing

@Suite struct ManifestEncoderTests {
    @Test func writesEveryFieldWithDefaultsApplied() throws {
        let region = try #require(validate([("m.yaml", telemetryManifest)]).regions.first)
        #expect(
            ManifestEncoder.encode([region], headerComments: ["generated"]) == """
                # generated
                version: 1
                regions:
                  - id: telemetry
                    owner:
                      domain: sensor-vm
                      begin: 0x7fe00000
                      size: 2MiB
                      prot: rw
                      cache_policy: x86_normal
                    borrowers:
                      - domain: logger-vm
                        begin: 0x1000000000
                        offset: 0
                        size: 1MiB
                        prot: rw
                        doorbell: false

                """)
    }

    @Test func aRegionsDoorbellIsWrittenOnEachBorrowerAndReadsBackTheSame() throws {
        let yaml = telemetryManifest.replacingOccurrences(
            of: "  - id: telemetry\n", with: "  - id: telemetry\n    doorbell: true\n")
        let region = try #require(validate([("m.yaml", yaml)]).regions.first)
        let text = ManifestEncoder.encode([region])
        #expect(text.contains("        prot: rw\n        doorbell: true\n"))
        #expect(validate([("m.yaml", text)]).regions.first?.borrowers == region.borrowers)
    }

    @Test func writesNoRegionsExplicitly() {
        #expect(ManifestEncoder.encode([]) == "version: 1\nregions: []\n")
    }

    @Test func quotesWhatAYAML11ReaderWouldMisread() {
        let draft = ManifestDraft(regions: [
            RegionDraft(
                id: "010", owner: EndpointDraft(domain: .name("yes"), begin: 0x1000, size: 0x1000),
                borrowers: [EndpointDraft(domain: .name("it's"), begin: 0x2000), EndpointDraft(domain: .id(.dom0))])
        ])
        let text = ManifestEncoder.encode(draft).text
        #expect(text.contains("  - id: '010'\n"))
        #expect(text.contains("      domain: 'yes'\n"))
        #expect(text.contains("      - domain: 'it''s'\n"))
        #expect(text.contains("      - domain: 0\n"))
    }

    @Test func mapsEachLineToTheEntryItCameFrom() {
        let owner = SourceLocation(file: "vm1.cfg", line: 3, column: 5)
        let size = SourceLocation(file: "vm1.cfg", line: 3, column: 40)
        var endpoint = EndpointDraft(
            domain: .name("vm1"), begin: 0x1000, size: 0x1000, origin: owner, comment: "from x")
        endpoint.fieldOrigins = ["size": size]
        let output = ManifestEncoder.encode(
            ManifestDraft(regions: [RegionDraft(id: "a", owner: endpoint, borrowers: [])]))
        #expect(output.text.contains("    owner:  # from x\n"))
        let lines = output.text.split(separator: "\n", omittingEmptySubsequences: false)
        let sizeLine = (lines.firstIndex { $0.hasPrefix("      size:") } ?? 0) + 1
        let beginLine = (lines.firstIndex { $0.hasPrefix("      begin:") } ?? 0) + 1
        #expect(output.origin(ofLine: sizeLine) == size)
        #expect(output.origin(ofLine: beginLine) == owner)
        #expect(output.origin(ofLine: 1) == nil)
    }
}
