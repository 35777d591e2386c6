import Foundation
import SSHMCore
import SSHMTestSupport
import Testing

/// `doorbell:` on a region (the default of its borrowers) and on a borrower (its own): plain `true` or `false` only.
@Suite struct DoorbellDecodingTests {
    /// `telemetryManifest` with `doorbell: <value>` on its borrower, at line 12, the value at column 19.
    static func onTheBorrower(_ value: String) -> String {
        telemetry(replacingLine: 11, with: "        size: 1MiB\n        doorbell: \(value)")
    }

    /// `telemetryManifest` with `doorbell: <value>` on its region, at line 4, the value at column 15.
    static func onTheRegion(_ value: String) -> String {
        telemetry(replacingLine: 3, with: "  - id: telemetry\n    doorbell: \(value)")
    }

    static let twoBorrowers = """
        version: 1
        regions:
          - id: ring
            doorbell: true
            owner: {domain: sensor-vm, begin: 0x7fe00000, size: 2MiB}
            borrowers:
              - {domain: logger-vm, begin: 0x1000000000}
              - {domain: 7, begin: 0x1000000000, doorbell: false}
          - id: quiet
            owner: {domain: sensor-vm, begin: 0x7fc00000, size: 2MiB}
            borrowers:
              - {domain: logger-vm, begin: 0x2000000000}
              - {domain: 7, begin: 0x2000000000, doorbell: true}
        """

    @Test func isOffWhenNotWritten() throws {
        let region = try #require(validate([("m.yaml", telemetryManifest)]).regions.first)
        #expect(region.borrowers.map(\.doorbell) == [false])
    }

    @Test(arguments: [("true", true), ("false", false)])
    func plainTrueAndFalseAreAcceptedOnABorrower(_ text: String, _ value: Bool) throws {
        let state = validate([("m.yaml", Self.onTheBorrower(text))])
        #expect(state.diagnostics.isEmpty)
        #expect(try #require(state.regions.first).borrowers.map(\.doorbell) == [value])
    }

    @Test(arguments: [("true", true), ("false", false)])
    func plainTrueAndFalseAreAcceptedOnARegion(_ text: String, _ value: Bool) throws {
        let state = validate([("m.yaml", Self.onTheRegion(text))])
        #expect(state.diagnostics.isEmpty)
        #expect(try #require(state.regions.first).borrowers.map(\.doorbell) == [value])
    }

    @Test func aRegionsDoorbellIsTheDefaultAndABorrowersOwnWins() throws {
        let state = validate([("m.yaml", Self.twoBorrowers)])
        #expect(state.diagnostics.isEmpty)
        #expect(state.regions.map { $0.borrowers.map(\.doorbell) } == [[true, false], [false, true]])
    }

    /// Each rejected spelling and the line it renders, on a borrower.
    static let rejected: [(String, String)] = [
        ("yes", "expected true or false, found 'yes'; write true"),
        ("no", "expected true or false, found 'no'; write false"),
        ("on", "expected true or false, found 'on'; write true"),
        ("off", "expected true or false, found 'off'; write false"),
        ("y", "expected true or false, found 'y'; write true"),
        ("1", "expected true or false, found '1'; write true"),
        ("0", "expected true or false, found '0'; write false"),
        ("True", "expected true or false, found 'True'; write true"),
        ("FALSE", "expected true or false, found 'FALSE'; write false"),
        ("maybe", "expected true or false, found 'maybe'"),
        ("\"true\"", "expected true or false, found the string 'true'; write true without quotes"),
        ("'false'", "expected true or false, found the string 'false'; write false without quotes"),
        ("\"yes\"", "expected true or false, found the string 'yes'; write true without quotes"),
        ("'maybe'", "expected true or false, found the string 'maybe'"),
        ("!!str true", "expected true or false, found the string 'true'; write true without quotes"),
        ("!!bool true", "YAML tags such as 'tag:yaml.org,2002:bool' are not allowed in manifests; remove the tag"),
        ("", "expected true or false, found nothing"),
        ("[true]", "expected true or false, found a list"),
    ]

    @Test(arguments: rejected)
    func anythingButPlainTrueOrFalseIsAnErrorAtTheValue(_ text: String, _ message: String) {
        // An empty value is reported where the node starts: at the end of its line.
        let column = text.isEmpty ? 18 : 19
        #expect(rendered(Self.onTheBorrower(text)) == ["m.yaml:12:\(column): error: \(message)"])
    }

    @Test func aRejectedRegionDoorbellFreezesTheFile() {
        let state = validate([("m.yaml", Self.onTheRegion("yes"))])
        #expect(
            state.diagnostics.map(\.description) == [
                "m.yaml:4:15: error: expected true or false, found 'yes'; write true"
            ])
        #expect(state.regions.isEmpty)
        #expect(state.frozenSources == ["m.yaml"])
    }

    @Test func onTheOwnerItSaysWhereItBelongs() {
        #expect(
            rendered(telemetry(replacingLine: 7, with: "      size: 2MiB\n      doorbell: true")) == [
                "m.yaml:8:7: error: 'doorbell' belongs to the region (for all its borrowers) or to one borrower; "
                    + "move it there"
            ])
    }

    @Test func aMisspeltKeySuggestsDoorbell() {
        #expect(
            rendered(Self.onTheBorrower("true").replacingOccurrences(of: "doorbell:", with: "dorbell:")) == [
                "m.yaml:12:9: error: unknown key 'dorbell' in a borrower; did you mean 'doorbell'?"
            ])
    }
}
