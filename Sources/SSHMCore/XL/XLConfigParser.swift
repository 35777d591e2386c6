/// A value in an xl domain config: a quoted string, a bare number-like atom, or a list.
package indirect enum XLValue: Hashable, Sendable {
    case string(String, at: SourceLocation)
    case atom(String, at: SourceLocation)
    case list([XLValue], at: SourceLocation)

    package var location: SourceLocation {
        switch self {
        case .string(_, let location), .atom(_, let location), .list(_, let location): location
        }
    }
}

/// One `name = value` (or `name += value`) line of an xl config.
package struct XLSetting: Hashable, Sendable {
    package var name: String
    package var value: XLValue
    package var appends: Bool
    package var location: SourceLocation
}

/// Parses the xl domain config syntax (`xl.cfg(5)`): settings ended by a newline or `;`, `#` comments, single- or
/// double-quoted strings with C escapes, and lists that may span lines and end with a comma; pure.
package enum XLConfigParser {
    /// The settings up to the first syntax error, and that error.
    package static func parse(_ text: String, file: String) -> (settings: [XLSetting], diagnostics: [Diagnostic]) {
        var parser = Parser(scalars: Array(text.unicodeScalars), file: file)
        do {
            try parser.parseFile()
            return (parser.settings, [])
        } catch {
            return (parser.settings, [Diagnostic(.error, error.message, at: error.location)])
        }
    }

    struct SyntaxError: Error {
        var message: String
        var location: SourceLocation
    }

    private enum Token: Equatable {
        case identifier(String)
        case assign
        case append
        case string(String)
        case atom(String)
        case open
        case close
        case comma
        case end
        case eof
    }

    private struct Parser {
        let scalars: [Unicode.Scalar]
        let file: String
        var index = 0
        var line = 1
        var column = 1
        var settings: [XLSetting] = []
        var peeked: (token: Token, location: SourceLocation)?

        init(scalars: [Unicode.Scalar], file: String) {
            self.scalars = scalars
            self.file = file
        }

        mutating func parseFile() throws(SyntaxError) {
            while true {
                let (token, location) = try next()
                switch token {
                case .eof: return
                case .end: continue
                case .identifier(let name):
                    let (operation, operationAt) = try next()
                    guard operation == .assign || operation == .append else {
                        throw SyntaxError(
                            message: "expected '=' after \(MessageText.quote(name))", location: operationAt)
                    }
                    let value = try parseValue()
                    settings.append(
                        XLSetting(name: name, value: value, appends: operation == .append, location: location))
                    let (after, afterAt) = try next()
                    guard after == .end || after == .eof else {
                        throw SyntaxError(
                            message: "expected the end of the line after the value of \(MessageText.quote(name))",
                            location: afterAt)
                    }
                    if after == .eof { return }
                default:
                    throw SyntaxError(message: "expected a setting such as name = \"vm1\"", location: location)
                }
            }
        }

        private mutating func parseValue() throws(SyntaxError) -> XLValue {
            let (token, location) = try next()
            switch token {
            case .string(let text): return .string(text, at: location)
            case .atom(let text), .identifier(let text): return .atom(text, at: location)
            case .open:
                var items: [XLValue] = []
                while true {
                    try skipLineEnds()
                    if try peek().token == .close {
                        _ = try next()
                        return .list(items, at: location)
                    }
                    items.append(try parseValue())
                    try skipLineEnds()
                    let (separator, separatorAt) = try next()
                    if separator == .close { return .list(items, at: location) }
                    guard separator == .comma else {
                        throw SyntaxError(message: "expected ',' or ']' in the list", location: separatorAt)
                    }
                }
            default:
                throw SyntaxError(
                    message: "expected a value: a quoted string, a number or a [list]", location: location)
            }
        }

        /// Newlines inside a list; a `;` there is still an error.
        private mutating func skipLineEnds() throws(SyntaxError) {
            while try peek().token == .end, scalarBeforePeeked() != ";" { _ = try next() }
        }

        private func scalarBeforePeeked() -> Unicode.Scalar? { index > 0 ? scalars[index - 1] : nil }

        private mutating func peek() throws(SyntaxError) -> (token: Token, location: SourceLocation) {
            if let peeked { return peeked }
            let token = try lex()
            peeked = token
            return token
        }

        private mutating func next() throws(SyntaxError) -> (token: Token, location: SourceLocation) {
            if let token = peeked {
                peeked = nil
                return token
            }
            return try lex()
        }

        // MARK: - Lexer

        private var here: SourceLocation { SourceLocation(file: file, line: line, column: column) }

        private mutating func advance() -> Unicode.Scalar {
            let scalar = scalars[index]
            index += 1
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
            return scalar
        }

        private mutating func lex() throws(SyntaxError) -> (token: Token, location: SourceLocation) {
            while index < scalars.count {
                let scalar = scalars[index]
                if scalar == " " || scalar == "\t" || scalar == "\r" {
                    _ = advance()
                } else if scalar == "#" {
                    while index < scalars.count, scalars[index] != "\n" { _ = advance() }
                } else {
                    break
                }
            }
            let start = here
            guard index < scalars.count else { return (.eof, start) }
            let scalar = advance()
            switch scalar {
            case "\n", ";": return (.end, start)
            case "=": return (.assign, start)
            case "[": return (.open, start)
            case "]": return (.close, start)
            case ",": return (.comma, start)
            case "+" where index < scalars.count && scalars[index] == "=":
                _ = advance()
                return (.append, start)
            case "\"", "'": return (.string(try lexString(quote: scalar, start: start)), start)
            default:
                if isIdentifierStart(scalar) {
                    return (.identifier(lexWhile(first: scalar, isIdentifierPart)), start)
                }
                if isAtomPart(scalar) { return (.atom(lexWhile(first: scalar, isAtomPart)), start) }
                throw SyntaxError(message: "unexpected character \(MessageText.quote(String(scalar)))", location: start)
            }
        }

        private mutating func lexWhile(first: Unicode.Scalar, _ accepts: (Unicode.Scalar) -> Bool) -> String {
            var text = String(first)
            while index < scalars.count, accepts(scalars[index]) { text.unicodeScalars.append(advance()) }
            return text
        }

        private mutating func lexString(quote: Unicode.Scalar, start: SourceLocation) throws(SyntaxError) -> String {
            var text = ""
            while index < scalars.count {
                let scalar = advance()
                if scalar == quote { return text }
                if scalar == "\n" { break }
                guard scalar == "\\", index < scalars.count else {
                    text.unicodeScalars.append(scalar)
                    continue
                }
                let escaped = advance()
                switch escaped {
                case "n": text += "\n"
                case "t": text += "\t"
                case "r": text += "\r"
                case "\n": break
                default: text.unicodeScalars.append(escaped)
                }
            }
            throw SyntaxError(
                message: "the string is not closed on this line; add the closing \(quote)", location: start)
        }

        private func isIdentifierStart(_ scalar: Unicode.Scalar) -> Bool {
            scalar == "_" || isLetter(scalar)
        }

        private func isLetter(_ scalar: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
        }

        private func isIdentifierPart(_ scalar: Unicode.Scalar) -> Bool {
            scalar == "_" || isLetter(scalar) || ("0"..."9").contains(scalar)
        }

        private func isAtomPart(_ scalar: Unicode.Scalar) -> Bool {
            isIdentifierPart(scalar) || scalar == "." || scalar == "-" || scalar == "+"
        }
    }
}
