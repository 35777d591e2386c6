/// libyaml's errors as diagnostics: the common mistakes in our words, the rest in libyaml's with its positions.
enum YAMLSyntaxMessage {
    static func diagnostics(_ error: LibYAMLError, _ bytes: [UInt8], _ file: String) -> [Diagnostic] {
        switch error.kind {
        case .memory:
            return [Diagnostic(.error, YAMLComposer.outOfMemory, file: file)]
        case .reader(let offset, let value):
            let position = TextPosition.of(byteOffset: offset, in: bytes)
            let character = value >= 0 ? "character U+\(hex4(value)) " : ""
            return [
                Diagnostic(
                    .error, "\(character)is not allowed in YAML (\(error.problem)); remove it",
                    at: SourceLocation(file: file, line: position.line, column: position.column))
            ]
        case .syntax:
            let line = TextPosition.line(error.mark.line, in: bytes)
            return [
                Diagnostic(
                    .error, message(error, line: line),
                    at: SourceLocation(file: file, line: error.mark.line, column: error.mark.column))
            ]
        }
    }

    /// `line` holds the Unicode scalars of the line the error points at.
    private static func message(_ error: LibYAMLError, line: [Unicode.Scalar]) -> String {
        let index = error.mark.column - 1
        let at = index < line.count ? line[index] : nil
        let before = line.prefix(index)
        let startsLine = before.allSatisfy { $0 == " " }
        if error.problem.contains("tab") || at == "\t" { return "a tab cannot indent YAML; indent with spaces" }
        switch error.problem {
        case "mapping values are not allowed in this context" where containsKeyIndicator(before):
            return "an unquoted ': ' inside a value starts a new key; quote the whole value, as in 'key: \"a: b\"'"
        case "mapping values are not allowed in this context":
            return "this key is indented deeper than the key above it, so YAML reads it as part of that key's value; "
                + "line it up with the keys above"
        case "did not find expected key" where startsLine && at == "-":
            return "a list item cannot stand among the keys of a mapping; indent it under the key whose list it is"
        case "did not find expected key" where startsLine:
            return "this line is indented less than the keys above it but more than their parent; line it up with "
                + "the keys it belongs with"
        case "did not find expected '-' indicator" where startsLine:
            let list = error.context.map { " that starts at line \($0.mark.line), column \($0.mark.column)" } ?? ""
            return "this line lines up with the items of the list\(list) but has no '-'; start a new item with '- ' "
                + "or indent it under the item above"
        default:
            let during = error.context.map {
                " (\($0.text) that starts at line \($0.mark.line), column \($0.mark.column))"
            }
            return "invalid YAML: \(error.problem)\(during ?? ""); fix the syntax here"
        }
    }

    /// True when `: ` stands among `scalars`: a key already ended before the error on this line.
    private static func containsKeyIndicator(_ scalars: ArraySlice<Unicode.Scalar>) -> Bool {
        var previous: Unicode.Scalar = " "
        for scalar in scalars {
            if previous == ":", scalar == " " { return true }
            previous = scalar
        }
        return false
    }

    private static func hex4(_ value: Int32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
