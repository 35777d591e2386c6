import Foundation
import SSHMCore
import SSHMTestSupport
import Testing

@Suite struct ValidationReportTests {
    @Test func theSummaryCountsWithSingularsAndPlurals() {
        let state = validate([
            ("a.yaml", telemetry(replacingLine: 11, with: "        prot: ro")),
            ("b.yaml", "version: 1\nregions: []\n"),
            ("c.yaml", "version: 1\nregions: []\n"),
        ])
        #expect(ValidationReport(state).summary == "3 files, 1 region, 0 errors, 1 warning")
        let broken = validate([("a.yaml", "version: 2\nregions: []\n")])
        #expect(ValidationReport(broken).summary == "1 file, 0 regions, 1 error, 0 warnings")
    }

    @Test func theJSONReportHasFilesRegionsAndFindings() throws {
        let state = validate([("a.yaml", telemetryManifest), ("b.yaml", "version: 2\nregions: []\n")])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(ValidationReport(state)), as: UTF8.self)
        #expect(
            json == """
                {"diagnostics":[{"column":10,"file":"b.yaml","line":1,"message":"unsupported manifest version '2'; \
                write 'version: 1', the only version this tool reads","severity":"error"}],"errors":1,"files":[{"path":\
                "a.yaml","regions":1,"status":"valid"},{"path":"b.yaml","regions":0,"status":"frozen"}],"regions":1,\
                "warnings":0}
                """)
    }

    @Test func findingsWithoutAPositionHaveNullLines() throws {
        let missing = Diagnostic(.error, "the config directory does not exist", file: "/nonexistent")
        let state = ManifestSet.validate([], arch: .x86_64, directoryDiagnostics: [missing])
        let json = String(decoding: try JSONEncoder().encode(ValidationReport(state)), as: UTF8.self)
        #expect(json.contains("\"line\":null"))
    }
}
