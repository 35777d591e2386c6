/// Xen's page size on every architecture this tool supports.
package enum Page {
    package static let size: UInt64 = 4096
    package static let shift: UInt64 = 12
    /// Most pages one `XENMEM_add_to_physmap_batch` call can take: its `size` field is a `uint16_t`.
    package static let maxBatch = 65535

    package static func isAligned(_ value: UInt64) -> Bool { value & (size - 1) == 0 }
}

/// A page-aligned guest-physical address.
package struct GuestAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    package let rawValue: UInt64

    /// Returns `nil` unless `rawValue` is page-aligned.
    package init?(_ rawValue: UInt64) {
        guard Page.isAligned(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    package init(gfn: UInt64) { rawValue = gfn << Page.shift }

    /// The guest frame number.
    package var gfn: UInt64 { rawValue >> Page.shift }
    /// Lower-case `0x…` hex, the form xenstore records use.
    package var description: String { "0x" + String(rawValue, radix: 16) }
    package static func < (lhs: GuestAddress, rhs: GuestAddress) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `self + size`, or `nil` if that overflows 64 bits.
    package func adding(_ size: ByteSize) -> UInt64? {
        let (sum, overflow) = rawValue.addingReportingOverflow(size.rawValue)
        return overflow ? nil : sum
    }
}

/// A non-zero, page-aligned size in bytes.
package struct ByteSize: Hashable, Comparable, Sendable, CustomStringConvertible {
    package let rawValue: UInt64

    /// Returns `nil` unless `rawValue` is non-zero and page-aligned.
    package init?(_ rawValue: UInt64) {
        guard rawValue != 0, Page.isAligned(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    package init?(pages: UInt64) {
        let (bytes, overflow) = pages.multipliedReportingOverflow(by: Page.size)
        guard !overflow else { return nil }
        self.init(bytes)
    }

    package var pages: UInt64 { rawValue >> Page.shift }
    package var description: String { "0x" + String(rawValue, radix: 16) }
    package static func < (lhs: ByteSize, rhs: ByteSize) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A page-aligned offset into the owner's region (may be zero).
package struct Offset: Hashable, Comparable, Sendable, CustomStringConvertible {
    package static let zero = Offset(unchecked: 0)
    package let rawValue: UInt64

    /// Returns `nil` unless `rawValue` is page-aligned.
    package init?(_ rawValue: UInt64) {
        guard Page.isAligned(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    private init(unchecked rawValue: UInt64) { self.rawValue = rawValue }

    package var pages: UInt64 { rawValue >> Page.shift }
    package var description: String { "0x" + String(rawValue, radix: 16) }
    package static func < (lhs: Offset, rhs: Offset) -> Bool { lhs.rawValue < rhs.rawValue }
}
