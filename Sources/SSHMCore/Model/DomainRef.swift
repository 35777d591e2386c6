/// A Xen domain id. Real domains are numbered below `DOMID_FIRST_RESERVED` (0x7FF0).
package struct DomID: Hashable, Comparable, Sendable, CustomStringConvertible {
    package static let firstReserved: UInt32 = 0x7FF0
    package static let dom0 = DomID(unchecked: 0)

    package let rawValue: UInt32

    /// Returns `nil` for reserved ids (`DOMID_FIRST_RESERVED` and above).
    package init?(_ rawValue: UInt32) {
        guard rawValue < Self.firstReserved else { return nil }
        self.rawValue = rawValue
    }

    package init(unchecked rawValue: UInt32) { self.rawValue = rawValue }

    /// Parses the decimal form xenstore uses (`"5"`); rejects signs, spaces, hex and leading zeros.
    package init?(decimal text: some StringProtocol) {
        guard !text.isEmpty, text.utf8.count <= 5, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            text.utf8.count == 1 || text.utf8.first != 0x30, let value = UInt32(text)
        else { return nil }
        self.init(value)
    }

    package var description: String { String(rawValue) }
    package static func < (lhs: DomID, rhs: DomID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// How a manifest names a domain: by name (resolved through `/local/domain/*/name`) or by domid.
package enum DomainRef: Hashable, Sendable, CustomStringConvertible {
    case name(String)
    case id(DomID)

    package var description: String {
        switch self {
        case .name(let name): name
        case .id(let id): "domid \(id)"
        }
    }
}

/// A domain's UUID as the hypervisor reports it (`xc_dominfo_t.handle`), in canonical lower-case 8-4-4-4-12 form.
package struct DomainUUID: Hashable, Comparable, Sendable, CustomStringConvertible {
    package let rawValue: String

    /// Accepts the canonical form in either case; returns `nil` for anything else.
    package init?(_ text: some StringProtocol) {
        let lower = text.lowercased()
        let groups = lower.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12],
            groups.allSatisfy({ $0.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) } })
        else { return nil }
        rawValue = lower
    }

    /// All zeros: what Xen reports for dom0 (and a toolstack for any domain it gave no UUID).
    package static let zero = DomainUUID(bytes: [UInt8](repeating: 0, count: 16))

    /// Builds the canonical form from the 16 bytes of `xen_domain_handle_t`.
    package init(bytes: [UInt8]) {
        precondition(bytes.count == 16, "a domain handle has 16 bytes")
        let hex = bytes.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
        }.joined()
        let chars = Array(hex)
        rawValue = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(chars[$0]) }.joined(separator: "-")
    }

    package var description: String { rawValue }
    package static func < (lhs: DomainUUID, rhs: DomainUUID) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension DomainRef {
    /// The name the toolstack always gives domid 0.
    package static let dom0Name = "Domain-0"

    /// The same domain written the one way two references can be compared: `Domain-0` is domid 0.
    ///
    /// Other names cannot be matched to domids without xenstore, so they stay names.
    package var canonical: DomainRef {
        if case .name(Self.dom0Name) = self { return .id(.dom0) }
        return self
    }
}
