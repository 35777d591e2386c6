import SSHMCore
import Testing

@Suite struct YAMLComposerTests {
    typealias Property = YAMLComposer.Property

    private func compose(_ text: String) -> YAMLComposer.Result {
        YAMLComposer.compose(Array(text.utf8), file: "f.yaml")
    }

    @Test func composesEveryDocumentKeepingScalarsAsText() throws {
        let result = compose("a: 010\n---\nb: yes\n")
        #expect(result.diagnostics.isEmpty)
        #expect(result.documents.count == 2)
        guard case .mapping(let pairs) = try #require(result.documents.last).content,
            case .scalar(let value) = try #require(pairs.first).value.content
        else {
            Issue.record("expected a mapping of scalars")
            return
        }
        #expect(value == YAMLScalar(text: "yes", isPlain: true, tag: nil))
    }

    @Test func findsTheSecondOccurrenceOfADuplicateKeyInAFlowMapping() {
        #expect(
            compose("x: {a: 1, b: 2, a: 3}\n").diagnostics.map(\.description) == [
                "f.yaml:1:17: error: duplicate key 'a'; a key may appear once per mapping, so remove or merge this one",
                "f.yaml:1:5: note: 'a' first appears here",
            ])
    }

    @Test func reportsTheDuplicateKeyThatSortsFirstWhenThereAreSeveral() {
        #expect(
            compose("b: 1\na: 2\nb: 3\na: 4\n").diagnostics.map(\.description) == [
                "f.yaml:4:1: error: duplicate key 'a'; a key may appear once per mapping, so remove or merge this one",
                "f.yaml:2:1: note: 'a' first appears here",
            ])
    }

    @Test func reportsASyntaxErrorAtItsPosition() {
        #expect(
            compose("a: [1, 2\nb: 3\n").diagnostics.map(\.description) == [
                "f.yaml:2:2: error: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence that "
                    + "starts at line 1, column 4); fix the syntax here"
            ])
    }

    @Test func reportsAControlCharacterAtItsPosition() {
        #expect(
            compose("a: 1\nb: x\u{0}y\n").diagnostics.map(\.description) == [
                "f.yaml:2:5: error: character U+0000 is not allowed in YAML (control characters are not allowed); "
                    + "remove it"
            ])
    }

    @Test func refusesNestingBeyondAThousandLevelsWithoutCrashing() {
        let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        #expect(
            compose(deep).diagnostics.map(\.description) == [
                "f.yaml:1:1001: error: the YAML nests more than 1000 levels deep; a manifest needs at most 5"
            ])
    }

    @Test func stopsReadingWhereTheNestingGoesTooDeep() {
        // libyaml costs the square of the depth past this point, so nothing after it is read: not even an anchor.
        let deep = String(repeating: "{a: ", count: 2000) + "&x 1" + String(repeating: "}", count: 2000)
        let result = compose(deep)
        #expect(result.diagnostics.count == 1)
        #expect(result.properties.isEmpty)
    }

    @Test func findsAnchorsAndAliasesWithPositions() {
        let text = "a: &base 1\nb: *base\nc: [*base, &x 2]\n? *base\n: v\nd:\n- &s\n  k: v\n"
        #expect(
            compose(text).properties == [
                Property(kind: .anchor, name: "base", mark: YAMLMark(line: 1, column: 4)),
                Property(kind: .alias, name: "base", mark: YAMLMark(line: 2, column: 4)),
                Property(kind: .alias, name: "base", mark: YAMLMark(line: 3, column: 5)),
                Property(kind: .anchor, name: "x", mark: YAMLMark(line: 3, column: 12)),
                Property(kind: .alias, name: "base", mark: YAMLMark(line: 4, column: 3)),
                Property(kind: .anchor, name: "s", mark: YAMLMark(line: 7, column: 3)),
            ])
    }

    @Test func quotesCommentsBlockScalarsAndPlainTextHoldNoAnchors() {
        let text = """
            a: "*not" # &comment
            b: 'it''s *fine'
            c: x*y & z
            d: "multi
              *line"
            # *all of this
            e: a #*x
            f: |
              *literal
              &text
            """
        let result = compose(text)
        #expect(result.properties.isEmpty)
        #expect(result.diagnostics.isEmpty)
    }

    @Test func anAliasBombStopsAtTheLimitWithoutExpanding() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1..<30 {
            text +=
                "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
                + "]\n"
        }
        let result = compose(text)
        #expect(result.properties.count == YAMLComposer.maxProperties)
        #expect(result.documents.isEmpty)
    }

    @Test func anchorsAfterADuplicateKeyAreStillFound() {
        let result = compose("a: 1\na: 2\nb: &x 3\n")
        #expect(result.properties.map(\.name) == ["x"])
        #expect(result.diagnostics.count == 2)
    }

    @Test func anAnchorOrAliasWithoutANameIsStillAnAnchorOrAlias() {
        #expect(
            compose("a: * x\nb: 1\n").properties == [
                Property(kind: .alias, name: "", mark: YAMLMark(line: 1, column: 4))
            ])
        #expect(
            compose("a: & x\n").properties == [Property(kind: .anchor, name: "", mark: YAMLMark(line: 1, column: 4))])
    }

    @Test func countsColumnsInCharacters() {
        #expect(
            compose("é: *a\n").properties == [Property(kind: .alias, name: "a", mark: YAMLMark(line: 1, column: 4))])
    }

    @Test func anEmptyInputHoldsNoDocument() {
        let result = compose("")
        #expect(result.documents.isEmpty)
        #expect(result.diagnostics.isEmpty)
    }
}
