#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

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

/// An optional field written as `null` when absent, rather than left out, so that every object of a kind has every
/// key and a consumer tests one thing.
@propertyWrapper
package struct NullWhenAbsent<Value: Encodable & Sendable>: Encodable, Sendable {
    package var wrappedValue: Value?

    package init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue)
    }
}

/// A domain in JSON output: its domid when it runs (or is recorded), its name when known.
package struct JSONDomain: Encodable, Sendable {
    @NullWhenAbsent package var domid: UInt32?
    @NullWhenAbsent package var name: String?

    package init(domid: UInt32?, name: String?) {
        self.domid = domid
        self.name = name
    }
}
