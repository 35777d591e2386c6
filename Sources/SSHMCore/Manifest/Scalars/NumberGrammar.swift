/// The one grammar for every number in a manifest, applied to the scalar's text.
///
/// YAML 1.1 resolvers read `010` as octal and `1:30` as base 60; this grammar never guesses. It accepts decimal
/// without leading zeros (`4096`), lower-case-prefixed hex (`0x1000`), binary units (`4KiB`, `2MiB`, `1GiB`) and
/// pages of 4 KiB (`512p`).
package enum NumberGrammar {
    package enum Problem: Error, Hashable, Sendable {
        /// Nothing was written.
        case empty
        /// A leading `-`.
        case negative
        /// `010`: ambiguous between decimal and octal.
        case leadingZero
        /// More than 64 bits.
        case tooLarge
        /// Digits followed by a suffix that is not a unit we know (`2MB`).
        case unknownUnit(String)
        /// Anything else.
        case malformed
    }

    /// Units and the shift they apply; `p` is a 4 KiB page.
    package static let units: [(suffix: String, shift: UInt64)] = [
        ("KiB", 10), ("MiB", 20), ("GiB", 30), ("p", Page.shift),
    ]

    package static func parse(_ text: String) -> Result<UInt64, Problem> {
        let bytes = Array(text.utf8)
        guard let first = bytes.first else { return .failure(.empty) }
        if first == UInt8(ascii: "-") { return .failure(.negative) }
        if bytes.count >= 2, bytes[0] == UInt8(ascii: "0"), bytes[1] == UInt8(ascii: "x") {
            return parseHex(bytes[2...])
        }
        let digitCount = bytes.prefix { isDigit($0) }.count
        guard digitCount > 0 else { return .failure(.malformed) }
        let digits = bytes[..<digitCount]
        let suffix = String(decoding: bytes[digitCount...], as: UTF8.self)
        if digitCount > 1, digits.first == UInt8(ascii: "0") { return .failure(.leadingZero) }
        guard let value = parseDecimal(digits) else { return .failure(.tooLarge) }
        if suffix.isEmpty { return .success(value) }
        guard let unit = units.first(where: { $0.suffix == suffix }) else {
            let looksLikeUnit = suffix.utf8.allSatisfy { isLetter($0) }
            return .failure(looksLikeUnit ? .unknownUnit(suffix) : .malformed)
        }
        let (scaled, overflow) = value.multipliedReportingOverflow(by: 1 << unit.shift)
        return overflow ? .failure(.tooLarge) : .success(scaled)
    }

    /// The unit an operator most likely meant by `suffix` (`MB` → `MiB`), if any.
    package static func likelyUnit(for suffix: String) -> String? {
        switch suffix.lowercased().first {
        case "k": "KiB"
        case "m": "MiB"
        case "g": "GiB"
        case "p": "p"
        default: nil
        }
    }

    /// The decimal value of `text` read as octal, when every digit is an octal digit (for the `010` message).
    package static func octalValue(of text: String) -> UInt64? {
        guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7") }) else { return nil }
        return UInt64(text, radix: 8)
    }

    private static func parseHex(_ digits: ArraySlice<UInt8>) -> Result<UInt64, Problem> {
        guard !digits.isEmpty else { return .failure(.malformed) }
        var value: UInt64 = 0
        for byte in digits {
            guard let nibble = hexValue(byte) else { return .failure(.malformed) }
            guard value >> 60 == 0 else { return .failure(.tooLarge) }
            value = value << 4 | UInt64(nibble)
        }
        return .success(value)
    }

    private static func parseDecimal(_ digits: ArraySlice<UInt8>) -> UInt64? {
        var value: UInt64 = 0
        for byte in digits {
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return value
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// How numbers are written back for people: hex for addresses, binary units for sizes.
package enum NumberFormat {
    /// Lower-case `0x…` hex.
    package static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

    /// The largest binary unit that divides `value` exactly (`2MiB`), else hex.
    package static func size(_ value: UInt64) -> String {
        for (suffix, shift) in [("GiB", UInt64(30)), ("MiB", 20), ("KiB", 10)] where value != 0 {
            if value & ((1 << shift) - 1) == 0 { return "\(value >> shift)\(suffix)" }
        }
        return hex(value)
    }

    /// An inclusive range for messages: `0x1000-0x1fff`.
    package static func range(begin: UInt64, size: UInt64) -> String {
        "\(hex(begin))-\(hex(begin &+ (size &- 1)))"
    }
}
