import SSHMCore
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
    func anIdWithAForeignCharacterIsRefusedAtItsPosition(_ escape: String, _ offset: Int) {
        let id = Self.inserting(escape, into: "telemetry", at: offset)
        let state = validate([("m.yaml", telemetry(replacingLine: 3, with: "  - id: \"\(id)\""))])
        #expect(state.regions.isEmpty)
        #expect(state.diagnostics.contains { $0.severity == .error && $0.location?.line == 3 })
    }

    @Test(arguments: intruders, [0, 4, 9])
    func aDomainNameWithAForeignCharacterIsRefusedAtItsPosition(_ escape: String, _ offset: Int) {
        let name = Self.inserting(escape, into: "logger-vm", at: offset)
        let state = validate([("m.yaml", telemetry(replacingLine: 9, with: "      - domain: \"\(name)\""))])
        #expect(state.regions.isEmpty)
        #expect(state.diagnostics.contains { $0.severity == .error && $0.location?.line == 9 })
    }

    @Test func aByteOrderMarkOpeningTheFileIsRead() {
        #expect(validate([("m.yaml", "\u{FEFF}" + telemetryManifest)]).regions.map(\.id.rawValue) == ["telemetry"])
    }
}
