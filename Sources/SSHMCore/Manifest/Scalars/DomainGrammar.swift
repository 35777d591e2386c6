/// How a manifest writes a domain: a domid in decimal, or a name.
package enum DomainGrammar {
    package static let maxNameLength = 64

    package enum Problem: Error, Hashable, Sendable {
        case empty
        case leadingZero
        /// `DOMID_FIRST_RESERVED` (0x7FF0) or above, or more digits than any domid has.
        case reserved
        case badName
    }

    /// All digits is a domid; anything else must be a name of letters, digits, `.`, `_` and `-`.
    package static func parse(_ text: String) -> Result<DomainRef, Problem> {
        let bytes = text.utf8
        guard let first = bytes.first else { return .failure(.empty) }
        if bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            if bytes.count > 1, first == UInt8(ascii: "0") { return .failure(.leadingZero) }
            guard bytes.count <= 5, let value = UInt32(text), let id = DomID(value) else {
                return .failure(.reserved)
            }
            return .success(.id(id))
        }
        guard bytes.count <= maxNameLength, first != UInt8(ascii: "-"), first != UInt8(ascii: "."),
            bytes.allSatisfy(isNameByte)
        else { return .failure(.badName) }
        return .success(.name(text))
    }

    /// A byte a domain name may hold: `[A-Za-z0-9_.-]`.
    static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."):
            true
        default:
            false
        }
    }
}
