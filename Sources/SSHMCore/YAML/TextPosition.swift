/// Converts offsets in a file's text into the 1-based line and column a diagnostic shows.
package enum TextPosition {
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

    /// The Unicode scalars of 1-based line `number` (empty past the end), with line breaks counted as libyaml does
    /// for its marks: `\n`, `\r\n` and a lone `\r`.
    static func line(_ number: Int, in bytes: [UInt8]) -> [Unicode.Scalar] {
        var line = 1
        var start = 0
        var index = 0
        while index < bytes.count, line < number {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\r"), index < bytes.count, bytes[index] == UInt8(ascii: "\n") { index += 1 }
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                line += 1
                start = index
            }
        }
        guard line == number else { return [] }
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\n"), bytes[end] != UInt8(ascii: "\r") { end += 1 }
        return Array(String(decoding: bytes[start..<end], as: UTF8.self).unicodeScalars)
    }

    /// Offset of the first byte-order mark (U+FEFF) in `bytes`, or `nil` if there is none.
    package static func firstByteOrderMark(in bytes: [UInt8]) -> Int? {
        var index = 0
        while index + 2 < bytes.count {
            if bytes[index] == 0xEF, bytes[index + 1] == 0xBB, bytes[index + 2] == 0xBF { return index }
            index += 1
        }
        return nil
    }
}
