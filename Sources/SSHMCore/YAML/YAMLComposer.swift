import Yams

/// Turns a manifest's text into Yams node trees, and Yams' failures into diagnostics with positions.
///
/// Every scalar stays a string: the resolver has no rules, so YAML 1.1's implicit types never apply.
package enum YAMLComposer {
    package struct Result {
        /// The documents composed before any failure, empty ones included.
        package var documents: [Node]
        /// At most one error (composing stops at the first), possibly followed by a note.
        package var diagnostics: [Diagnostic]
    }

    package static func compose(_ text: String, file: String) -> Result {
        var documents: [Node] = []
        do {
            let parser = try Parser(yaml: text, resolver: .basic, constructor: .default, encoding: .utf8)
            while let document = try parser.nextRoot() { documents.append(document) }
            return Result(documents: documents, diagnostics: [])
        } catch let error as YamlError {
            return Result(documents: documents, diagnostics: diagnostics(for: error, text: text, file: file))
        } catch {
            return Result(documents: documents, diagnostics: [Diagnostic(.error, "cannot parse: \(error)", file: file)])
        }
    }

    static func diagnostics(for error: YamlError, text: String, file: String) -> [Diagnostic] {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let message = syntaxMessage(problem: problem, context: context)
            return [Diagnostic(.error, message, at: SourceLocation(file: file, line: mark.line, column: mark.column))]
        case .reader(let problem, let offset, let value, _):
            let position = TextPosition.of(characterOffset: offset ?? 0, in: text)
            let location = SourceLocation(file: file, line: position.line, column: position.column)
            let character = value >= 0 ? "character U+\(hex4(value)) " : ""
            return [Diagnostic(.error, "\(character)is not allowed in YAML (\(problem)); remove it", at: location)]
        case .duplicatedKeysInMapping(let duplicates, let context):
            return DuplicateKeyLocator.diagnostics(
                key: duplicates.first ?? "", firstMark: context.mark, text: text, file: file)
        default:
            return [Diagnostic(.error, "cannot parse the YAML; check the file's syntax", file: file)]
        }
    }

    private static func syntaxMessage(problem: String, context: YamlError.Context?) -> String {
        if problem.contains("tab") { return "a tab cannot indent YAML; indent with spaces" }
        if problem.contains("Maximum nesting level") {
            return "the YAML nests more than 1000 levels deep; a manifest needs at most 5"
        }
        if problem.contains("mapping values are not allowed") {
            return "a ': ' here does not start a key; fix the indentation or quote the value"
        }
        if problem.contains("undefined alias") {
            return "aliases ('*name') are not allowed in manifests; write each value out in full"
        }
        let during = context.map { " (\($0.text) that starts at line \($0.mark.line), column \($0.mark.column))" }
        return "invalid YAML: \(problem)\(during ?? ""); fix the syntax here"
    }

    private static func hex4(_ value: Int32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

extension Node {
    /// Where this node starts, 1-based.
    package func location(in file: String) -> SourceLocation {
        let mark = self.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    /// What the node is, for "found …" in messages.
    package var found: String {
        switch self {
        case .scalar(let scalar):
            scalar.string.isEmpty && scalar.style == .plain ? "nothing" : MessageText.quote(scalar.string)
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    /// The anchor this node was declared with, if any.
    package var declaredAnchor: String? {
        switch self {
        case .scalar(let scalar): scalar.anchor?.rawValue
        case .mapping(let mapping): mapping.anchor?.rawValue
        case .sequence(let sequence): sequence.anchor?.rawValue
        case .alias(let alias): alias.anchor.rawValue
        }
    }

    /// A plain empty scalar: `key:` with nothing after it.
    package var isEmptyScalar: Bool {
        if case .scalar(let scalar) = self { return scalar.string.isEmpty && scalar.style == .plain }
        return false
    }
}
