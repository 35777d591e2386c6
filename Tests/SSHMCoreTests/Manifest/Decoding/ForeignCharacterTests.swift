import SSHMCore
import SSHMTestSupport
import Testing

/// Ids and domain names keep no character outside their grammar, wherever it stands: double-quoted escapes let
/// any character reach the scalar, so each must be refused by the grammar itself.
@Suite struct ForeignCharacterTests {
    /// YAML escapes of characters that are invisible, look like others, or lie just outside the grammar.
    static let intruders = ["\\uFEFF", "\\u200B", "\\u00A0", "\\u00E9", "\\0", "\\t", " ", "/", "\\u0085"]

    private static func inserting(_ escape: String, into word: String, at offset: Int) -> String {
        var text = word
        text.insert(contentsOf: escape, at: text.index(text.startIndex, offsetBy: offset))
        return text
    }

    @Test(arguments: intruders, [0, 4, 9])
    func anIdOrADomainNameWithAForeignCharacterIsRefusedOnItsLine(_ escape: String, _ offset: Int) {
        for (line, key, word) in [(3, "  - id: ", "telemetry"), (9, "      - domain: ", "logger-vm")] {
            let value = Self.inserting(escape, into: word, at: offset)
            let state = validate([("m.yaml", telemetry(replacingLine: line, with: "\(key)\"\(value)\""))])
            #expect(state.regions.isEmpty, "\(key)\(value)")
            #expect(state.diagnostics.contains { $0.severity == .error && $0.location?.line == line }, "\(key)\(value)")
        }
    }

    @Test func aByteOrderMarkOpeningTheFileIsRead() {
        #expect(validate([("m.yaml", "\u{FEFF}" + telemetryManifest)]).regions.map(\.id.rawValue) == ["telemetry"])
    }
}
