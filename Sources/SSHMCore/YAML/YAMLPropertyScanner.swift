/// Finds YAML anchors (`&name`) and aliases (`*name`) before the text reaches the composer.
///
/// Aliases let a few lines stand for an exponential amount of data ("billion laughs"), and Yams even hashes aliased
/// mapping keys while composing, so manifests refuse both before composing. The scan is lexical and linear: it
/// skips comments, quoted scalars and block scalars, and looks only where a YAML node can start. A rare miss (an
/// odd block scalar) is still caught later, because every composed node that carries an anchor is refused too.
package enum YAMLPropertyScanner {
    package struct Finding: Hashable, Sendable {
        package enum Kind: Hashable, Sendable {
            case anchor
            case alias
        }

        package var kind: Kind
        package var name: String
        /// 1-based, like every position in a diagnostic.
        package var line: Int
        /// 1-based, counted in Unicode scalars like libyaml's marks.
        package var column: Int

        package init(kind: Kind, name: String, line: Int, column: Int) {
            self.kind = kind
            self.name = name
            self.line = line
            self.column = column
        }
    }

    /// Up to `limit` anchors and aliases in document order.
    package static func scan(_ text: String, limit: Int = 20) -> [Finding] {
        var scanner = Scanner(bytes: Array(text.utf8), limit: limit)
        scanner.run()
        return scanner.findings
    }

    private struct Scanner {
        let bytes: [UInt8]
        let limit: Int
        var findings: [Finding] = []
        var flowDepth = 0
        /// `"` or `'` while inside a quoted scalar that may span lines.
        var quote: UInt8?
        /// While skipping a block scalar's body: lines indented deeper than this belong to it.
        var blockParentIndent: Int?

        init(bytes: [UInt8], limit: Int) {
            self.bytes = bytes
            self.limit = limit
        }

        mutating func run() {
            var lineStart = 0
            var lineNumber = 1
            while lineStart <= bytes.count, findings.count < limit {
                var lineEnd = lineStart
                while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                var contentEnd = lineEnd
                if contentEnd > lineStart, bytes[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
                scanLine(from: lineStart, to: contentEnd, number: lineNumber)
                lineStart = lineEnd + 1
                lineNumber += 1
            }
        }

        private mutating func scanLine(from start: Int, to end: Int, number: Int) {
            let indent = countIndent(from: start, to: end)
            if let parent = blockParentIndent {
                if start + indent == end || indent > parent { return }
                blockParentIndent = nil
            }
            if quote == nil, indent == 0, isDocumentMarker(at: start, end: end) {
                flowDepth = 0
                return scanTokens(from: start + 3, to: end, lineStart: start, number: number)
            }
            scanTokens(from: start, to: end, lineStart: start, number: number)
        }

        private mutating func scanTokens(from start: Int, to end: Int, lineStart: Int, number: Int) {
            var index = start
            var expectNode = quote == nil
            var lastNodeColumn = countIndent(from: lineStart, to: end)
            var lastKeyColumn: Int?
            var lastDashColumn: Int?
            while index < end, findings.count < limit {
                let byte = bytes[index]
                if let open = quote {
                    index = skipQuoted(open, from: index, to: end)
                    expectNode = false
                    continue
                }
                if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                    index += 1
                    continue
                }
                if byte == UInt8(ascii: "#"), index == lineStart || isBlank(bytes[index - 1]) { return }
                let column = index - lineStart
                let followedByBlank = index + 1 >= end || isBlank(bytes[index + 1])
                switch byte {
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    flowDepth += 1
                    expectNode = true
                    index += 1
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    flowDepth = max(0, flowDepth - 1)
                    expectNode = false
                    index += 1
                case UInt8(ascii: ",") where flowDepth > 0:
                    expectNode = true
                    index += 1
                case UInt8(ascii: ":") where followedByBlank || (flowDepth > 0 && isFlowIndicator(bytes[index + 1])):
                    lastKeyColumn = lastNodeColumn
                    expectNode = true
                    index += 1
                case UInt8(ascii: "-") where expectNode && followedByBlank && flowDepth == 0,
                    UInt8(ascii: "?") where expectNode && followedByBlank:
                    if byte == UInt8(ascii: "-") { lastDashColumn = column }
                    index += 1
                case UInt8(ascii: "&") where expectNode, UInt8(ascii: "*") where expectNode:
                    let nameEnd = tokenEnd(from: index + 1, to: end)
                    let name = String(decoding: bytes[(index + 1)..<nameEnd], as: UTF8.self)
                    findings.append(
                        Finding(
                            kind: byte == UInt8(ascii: "&") ? .anchor : .alias, name: name, line: number,
                            column: scalarColumn(lineStart: lineStart, index: index)))
                    expectNode = byte == UInt8(ascii: "&")
                    index = nameEnd
                case UInt8(ascii: "!") where expectNode:
                    index = tokenEnd(from: index, to: end)
                case UInt8(ascii: "\"") where expectNode, UInt8(ascii: "'") where expectNode:
                    lastNodeColumn = column
                    quote = byte
                    index += 1
                case UInt8(ascii: "|") where expectNode && flowDepth == 0,
                    UInt8(ascii: ">") where expectNode && flowDepth == 0:
                    blockParentIndent = lastKeyColumn ?? lastDashColumn ?? (countIndent(from: lineStart, to: end) - 1)
                    return
                default:
                    if expectNode { lastNodeColumn = column }
                    expectNode = false
                    index = plainScalarEnd(from: index, to: end)
                }
            }
        }

        /// Index after the closing quote, or `end` when the scalar continues on the next line.
        private mutating func skipQuoted(_ open: UInt8, from start: Int, to end: Int) -> Int {
            var index = start
            while index < end {
                let byte = bytes[index]
                if open == UInt8(ascii: "\""), byte == UInt8(ascii: "\\") {
                    index += 2
                    continue
                }
                if byte == open {
                    if open == UInt8(ascii: "'"), index + 1 < end, bytes[index + 1] == open {
                        index += 2
                        continue
                    }
                    quote = nil
                    return index + 1
                }
                index += 1
            }
            return end
        }

        /// Where a plain scalar stops: before `: `, ` #`, or a flow indicator inside a flow collection.
        private func plainScalarEnd(from start: Int, to end: Int) -> Int {
            var index = start + 1
            while index < end {
                let byte = bytes[index]
                if byte == UInt8(ascii: ":"), index + 1 >= end || isBlank(bytes[index + 1]) { return index }
                if byte == UInt8(ascii: "#"), isBlank(bytes[index - 1]) { return index }
                if flowDepth > 0, isFlowIndicator(byte) { return index }
                index += 1
            }
            return end
        }

        private func tokenEnd(from start: Int, to end: Int) -> Int {
            var index = start
            while index < end, !isBlank(bytes[index]), !isFlowIndicator(bytes[index]) { index += 1 }
            return index
        }

        private func countIndent(from start: Int, to end: Int) -> Int {
            var index = start
            while index < end, bytes[index] == UInt8(ascii: " ") { index += 1 }
            return index - start
        }

        private func isDocumentMarker(at start: Int, end: Int) -> Bool {
            guard end - start >= 3 else { return false }
            let marker = bytes[start..<(start + 3)]
            guard marker.elementsEqual("---".utf8) || marker.elementsEqual("...".utf8) else { return false }
            return end - start == 3 || isBlank(bytes[start + 3])
        }

        private func scalarColumn(lineStart: Int, index: Int) -> Int {
            bytes[lineStart..<index].lazy.filter { $0 & 0xC0 != 0x80 }.count + 1
        }

        private func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

        private func isFlowIndicator(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: ",") || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]")
                || byte == UInt8(ascii: "{") || byte == UInt8(ascii: "}")
        }
    }
}
