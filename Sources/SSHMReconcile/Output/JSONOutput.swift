import Foundation

/// The conventions of every JSON document the tool prints (`plan`, `status`, `validate`): a top-level
/// `format_version`, snake_case keys, numbers as numbers, times in ISO 8601, keys sorted so that diffs are stable.
/// A version change means a field changed meaning or went away; new fields do not change it. The schemas are
/// `docs/*.schema.json`.
package enum JSONOutput {
    /// Raised when a document changes incompatibly.
    package static let formatVersion = 1

    /// `document` pretty-printed, with a final newline.
    package static func render(_ document: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
    }
}

/// A domain in JSON output: its domid when it runs (or is recorded), its name when known.
package struct JSONDomain: Encodable, Hashable, Sendable {
    package var domid: UInt32?
    package var name: String?

    package init(domid: UInt32?, name: String?) {
        self.domid = domid
        self.name = name
    }

    // Absent values are `null`, not missing keys: a consumer tests one thing.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(domid, forKey: .domid)
        try container.encode(name, forKey: .name)
    }

    private enum CodingKeys: String, CodingKey {
        case domid
        case name
    }
}
