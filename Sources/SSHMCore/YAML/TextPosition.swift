/// Converts offsets in a file's text into the 1-based line and column a diagnostic shows.
package enum TextPosition {
    /// Line and column of the `offset`-th Character (how Yams reports reader errors).
    package static func of(characterOffset offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for (index, character) in text.enumerated() {
            if index == offset { break }
            if character == "\n" || character == "\r\n" {
                line += 1
                column = 1
            } else {
                column += character.unicodeScalars.count
            }
        }
        return (line, column)
    }

    /// Line and column of byte `offset` in UTF-8 `bytes`; the column counts characters, not bytes.
    package static func of(byteOffset offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = 0
        for index in 0..<min(offset, bytes.count) where bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        let column = bytes[lineStart..<min(offset, bytes.count)].lazy.filter { $0 & 0xC0 != 0x80 }.count + 1
        return (line, column)
    }

    /// Offset of the first byte that is not valid UTF-8, or `nil` if all of `bytes` is.
    package static func firstInvalidUTF8(in bytes: [UInt8]) -> Int? {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
