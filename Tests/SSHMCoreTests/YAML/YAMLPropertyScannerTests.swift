import SSHMCore
import Testing

@Suite struct YAMLPropertyScannerTests {
    typealias Finding = YAMLPropertyScanner.Finding

    @Test func findsAnchorsAndAliasesWithPositions() {
        let text = "a: &base 1\nb: *base\nc: [*base, &x 2]\n? *base\n: v\n- &s\n  k: v\n"
        #expect(
            YAMLPropertyScanner.scan(text) == [
                Finding(kind: .anchor, name: "base", line: 1, column: 4),
                Finding(kind: .alias, name: "base", line: 2, column: 4),
                Finding(kind: .alias, name: "base", line: 3, column: 5),
                Finding(kind: .anchor, name: "x", line: 3, column: 12),
                Finding(kind: .alias, name: "base", line: 4, column: 3),
                Finding(kind: .anchor, name: "s", line: 6, column: 3),
            ])
    }

    @Test func ignoresQuotesCommentsAndPlainText() {
        let text = """
            a: "*not" # &comment
            b: 'it''s *fine'
            c: x*y & z
            d: "multi
              *line"
            # *all of this
            e: a #*x
            """
        #expect(YAMLPropertyScanner.scan(text).isEmpty)
    }

    @Test func skipsBlockScalarsButNotWhatFollowsThem() {
        let text = "- id: |\n    *literal\n    &text\n  owner: &x 1\nnext: >\n  *folded\nlast: *y\n"
        #expect(
            YAMLPropertyScanner.scan(text) == [
                Finding(kind: .anchor, name: "x", line: 4, column: 10),
                Finding(kind: .alias, name: "y", line: 7, column: 7),
            ])
    }

    @Test func stopsAtTheLimit() {
        let text = String(repeating: "- *a\n", count: 1000)
        #expect(YAMLPropertyScanner.scan(text, limit: 5).count == 5)
    }

    @Test func countsColumnsInCharacters() {
        #expect(YAMLPropertyScanner.scan("é: *a\n") == [Finding(kind: .alias, name: "a", line: 1, column: 4)])
    }
}
