/// The name of one shared-memory region: `[A-Za-z0-9_-]`, 1–128 characters.
///
/// The grammar is the intersection of what xenstore accepts in a path element and what the series allowed, plus `-`.
package struct RegionID: Hashable, Comparable, Sendable, CustomStringConvertible {
    package static let maxLength = 128
    /// Longest id a device tree holds (dom0less `xen,shm-id`, a guest's `xen,id`): longer ids get a warning, and
    /// `export --format dts` refuses them.
    package static let deviceTreeMaxLength = 15

    package let rawValue: String

    /// Returns `nil` unless `rawValue` matches `[A-Za-z0-9_-]{1,128}`.
    package init?(_ rawValue: String) {
        guard Self.isValid(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    package static func isValid(_ text: String) -> Bool {
        let bytes = text.utf8
        guard !bytes.isEmpty, bytes.count <= maxLength else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
    }

    package var description: String { rawValue }
    package static func < (lhs: RegionID, rhs: RegionID) -> Bool { lhs.rawValue < rhs.rawValue }
}
