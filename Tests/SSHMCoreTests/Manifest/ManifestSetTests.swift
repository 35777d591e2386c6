import Foundation
import SSHMCore
import SSHMTestSupport
import Testing

@Suite struct ManifestSetTests {
    @Test func aBrokenFileFreezesWhileTheOthersStayValid() {
        let state = validate([
            ("10-good.yaml", telemetryManifest),
            ("20-broken.yaml", "version: 1\nregions: [\n"),
        ])
        #expect(state.validSources == ["10-good.yaml"])
        #expect(state.frozenSources == ["20-broken.yaml"])
        #expect(state.regions.map(\.id.rawValue) == ["telemetry"])
        #expect(state.hasErrors)
    }

    @Test func warningsDoNotFreeze() {
        let state = validate([("m.yaml", telemetry(replacingLine: 11, with: "        prot: ro"))])
        #expect(state.frozenSources.isEmpty)
        #expect(!state.hasErrors)
        #expect(state.diagnostics.map(\.severity) == [.warning])
    }

    @Test func aFileWithNoRegionsIsValidAndDeclaresNone() {
        let state = validate([("m.yaml", "version: 1\nregions: []\n")])
        #expect(state.files.map(\.status) == [.valid([])])
    }

    @Test func aRefusedInputFreezesWithItsReason() {
        let refused = Diagnostic(.error, "cannot open the file: Permission denied (EACCES, errno 13)", file: "m.yaml")
        let state = ManifestSet.validate(
            [ManifestInput(path: "m.yaml", refused: [refused])], arch: .x86_64, directoryDiagnostics: [])
        #expect(state.frozenSources == ["m.yaml"])
        #expect(state.diagnostics == [refused])
    }

    @Test func findingsComeInSourceOrderWithTheirNotes() {
        let yaml = telemetry(replacingLine: 3, with: "  - id: telemetry-ring-buffer")
            .replacingOccurrences(of: "      - domain: logger-vm", with: "      - domain: sensor-vm")
        #expect(
            rendered(yaml) == [
                "m.yaml:3:9: warning: region id 'telemetry-ring-buffer' is longer than 15 characters, the limit of "
                    + "device trees (dom0less xen,shm-id, export --format dts); shorten it if a device tree must describe it",
                "m.yaml:9:17: error: sensor-vm owns region 'telemetry-ring-buffer' and cannot also borrow it; remove "
                    + "this borrower",
                "m.yaml:5:15: note: sensor-vm is the owner here",
            ])
    }

    @Test func capsTheFindingsOfOneFile() {
        let regions = (0..<300).map { "  - {id: r\($0), owner: {domain: 1, begin: 0x1001, size: 4KiB}}\n" }
        let state = validate([("m.yaml", "version: 1\nregions:\n" + regions.joined())])
        let diagnostics = state.diagnostics
        #expect(diagnostics.count == ManifestSet.maxDiagnosticsPerFile + 1)
        #expect(
            diagnostics.last?.description
                == "m.yaml: note: 100 more findings in this file not shown; fix the ones above first")
    }
}
