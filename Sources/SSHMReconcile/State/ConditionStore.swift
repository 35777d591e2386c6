import SSHMCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Region conditions kept in `<state-dir>/conditions.json` between passes, rewritten only when they change.
package struct ConditionStore: Sendable {
    package struct Entry: Codable, Hashable, Sendable {
        package var condition: RegionCondition
        /// When the condition's kind last changed.
        package var since: Date

        package init(condition: RegionCondition, since: Date) {
            self.condition = condition
            self.since = since
        }
    }

    private struct File: Codable {
        var version: Int
        var regions: [String: Entry]
    }

    package let path: String

    package init(directory: String) { path = directory + "/conditions.json" }

    /// The stored conditions; none when the file is missing or unreadable (a pass rebuilds them).
    package func load() -> [RegionID: Entry] {
        guard let data = FileManager.default.contents(atPath: path),
            let file = try? Self.decoder.decode(File.self, from: data)
        else { return [:] }
        var entries: [RegionID: Entry] = [:]
        for (name, entry) in file.regions {
            if let id = RegionID(name) { entries[id] = entry }
        }
        return entries
    }

    /// The entries for `conditions`, keeping `since` from `previous` for regions whose kind did not change.
    package static func entries(
        _ conditions: [RegionID: RegionCondition], previous: [RegionID: Entry], now: Date = Date()
    ) -> [RegionID: Entry] {
        conditions.reduce(into: [:]) { entries, item in
            entries[item.key] = entry(item.value, previous: previous[item.key], now: now)
        }
    }

    /// The entry for `condition`, keeping `since` from `previous` if its kind did not change.
    package static func entry(_ condition: RegionCondition, previous: Entry?, now: Date) -> Entry {
        Entry(
            condition: condition,
            since: previous.flatMap { $0.condition.kind == condition.kind ? $0.since : nil } ?? now)
    }

    /// Stores `entries` as they are, unless the file already holds exactly them.
    /// - Returns: whether the file was rewritten.
    @discardableResult
    package func save(_ entries: [RegionID: Entry]) throws -> Bool {
        let regions = Dictionary(uniqueKeysWithValues: entries.map { ($0.key.rawValue, $0.value) })
        let data = try Self.encoder.encode(File(version: 1, regions: regions))
        if FileManager.default.contents(atPath: path) == data { return false }
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        return true
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
