/// The one codec for the scalar values of a record: domids in decimal, addresses and sizes in lower-case `0x…` hex,
/// as the seed writes them.
///
/// Reading is strict: what the writer would not have produced (`0X10`, ` 5`, `010`, a value over 64 bits) is drift,
/// never a guess. That is the seed's bug the other way round: it wrote domids in decimal and parsed them as hex.
package enum RecordValue {
    /// Longest value accepted from a record: xenstore's whole payload limit. Anything longer is drift. (A `source`
    /// path may be long; a tighter bound would make a record with one unreadable forever, and the pass rewrite it
    /// every time.)
    package static let maxLength = 4096

    package static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

    /// Parses `0x` followed by 1–16 lower- or upper-case hex digits.
    package static func parseHex(_ text: String) -> UInt64? {
        let utf8 = text.utf8
        guard utf8.count > 2, utf8.count <= 18, text.hasPrefix("0x") else { return nil }
        return UInt64(text.dropFirst(2), radix: 16)
    }

    package static func decimal(_ value: some BinaryInteger) -> String { String(value) }

    /// Parses a non-negative decimal without sign, spaces or leading zeros.
    package static func parseDecimal(_ text: String) -> Int? {
        let utf8 = text.utf8
        guard !utf8.isEmpty, utf8.count <= 10, utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            utf8.count == 1 || utf8.first != 0x30
        else { return nil }
        return Int(text)
    }
}
