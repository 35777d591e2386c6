import SSHMCore
import Testing

@Suite struct YAMLComposerTests {
    @Test func composesEveryDocument() {
        let result = YAMLComposer.compose("a: 010\n---\nb: yes\n", file: "f.yaml")
        #expect(result.diagnostics.isEmpty)
        #expect(result.documents.count == 2)
    }

    @Test func findsTheSecondOccurrenceOfADuplicateKeyInAFlowMapping() {
        let result = YAMLComposer.compose("x: {a: 1, b: 2, a: 3}\n", file: "f.yaml")
        #expect(
            result.diagnostics.map(\.description) == [
                "f.yaml:1:17: error: duplicate key 'a'; a key may appear once per mapping, so remove or merge this one",
                "f.yaml:1:5: note: 'a' first appears here",
            ])
    }

    @Test func reportsASyntaxErrorAtItsPosition() {
        let result = YAMLComposer.compose("a: [1, 2\nb: 3\n", file: "f.yaml")
        #expect(
            result.diagnostics.map(\.description) == [
                "f.yaml:2:2: error: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence that "
                    + "starts at line 1, column 4); fix the syntax here"
            ])
    }

    @Test func reportsAControlCharacterAtItsPosition() {
        let result = YAMLComposer.compose("a: 1\nb: x\u{0}y\n", file: "f.yaml")
        #expect(
            result.diagnostics.map(\.description) == [
                "f.yaml:2:5: error: character U+0000 is not allowed in YAML (control characters are not allowed); "
                    + "remove it"
            ])
    }

    @Test func refusesNestingBeyondLibyamlsLimitWithoutCrashing() {
        let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        let result = YAMLComposer.compose(deep, file: "f.yaml")
        #expect(result.diagnostics.first?.message.contains("1000 levels") == true)
    }
}
