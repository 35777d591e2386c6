import Yams

/// Points at the second occurrence of a duplicate key.
///
/// Yams stops at the first duplicate key in a mapping and reports the position of its *first* occurrence; the
/// operator needs the one to delete. This looks for the same key at the same column further down (block mappings)
/// or later on the same line (flow mappings), and falls back to the first occurrence.
enum DuplicateKeyLocator {
    static func diagnostics(key: String, firstMark: Mark, text: String, file: String) -> [Diagnostic] {
        let first = SourceLocation(file: file, line: firstMark.line, column: firstMark.column)
        let quoted = MessageText.quote(key)
        guard let second = secondOccurrence(of: key, after: firstMark, in: text) else {
            return [
                Diagnostic(.error, "key \(quoted) appears more than once in this mapping; keep only one", at: first)
            ]
        }
        return [
            Diagnostic(
                .error, "duplicate key \(quoted); a key may appear once per mapping, so remove or merge this one",
                at: SourceLocation(file: file, line: second.line, column: second.column)),
            Diagnostic(.note, "\(quoted) first appears here", at: first),
        ]
    }

    static func secondOccurrence(of key: String, after mark: Mark, in text: String) -> (line: Int, column: Int)? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        let keyColumn = mark.column - 1
        let spellings = [key, "\"\(key)\"", "'\(key)'"]
        if let column = sameLine(lines[mark.line - 1], after: keyColumn + key.count, spellings: spellings) {
            return (mark.line, column)
        }
        for (index, line) in lines.enumerated().dropFirst(mark.line) {
            let unicode = Array(line.unicodeScalars)
            let indent = unicode.prefix { $0 == " " }.count
            let rest = String(String.UnicodeScalarView(unicode[indent...]))
            if rest.isEmpty || rest.hasPrefix("#") { continue }
            if indent < keyColumn { return nil }
            if indent == keyColumn, spellings.contains(where: { startsKey(rest, with: $0) }) {
                return (index + 1, keyColumn + 1)
            }
        }
        return nil
    }

    /// `, key:` later on the same line, for flow mappings.
    private static func sameLine(_ line: Substring, after column: Int, spellings: [String]) -> Int? {
        let scalars = Array(line.unicodeScalars)
        guard column < scalars.count else { return nil }
        var index = column
        while index < scalars.count {
            if scalars[index] == "," || scalars[index] == "{" {
                var start = index + 1
                while start < scalars.count, scalars[start] == " " { start += 1 }
                let rest = String(String.UnicodeScalarView(scalars[start...]))
                if spellings.contains(where: { startsKey(rest, with: $0) }) { return start + 1 }
            }
            index += 1
        }
        return nil
    }

    private static func startsKey(_ text: String, with spelling: String) -> Bool {
        guard text.hasPrefix(spelling) else { return false }
        let after = text.dropFirst(spelling.count).drop { $0 == " " }
        return after.first == ":"
    }
}
