/// The rules that look across regions and files: unique ids and non-overlapping guest ranges.
///
/// Files are given in precedence order (lexical for a config dir). On a conflict the earlier declaration wins:
/// the error goes to the later one, whose file then freezes, and a note names the earlier place.
package enum CrossFileRules {
    /// Appends each conflict's diagnostics to the file that loses it.
    package static func apply(to files: inout [DecodedManifest]) {
        let duplicates = checkUniqueIDs(&files)
        checkOverlaps(&files, skipping: duplicates)
    }

    /// Reports every id declared before; returns the (file, region) indices of losing regions.
    private static func checkUniqueIDs(_ files: inout [DecodedManifest]) -> Set<[Int]> {
        var first: [RegionID: SourceLocation] = [:]
        var losers: Set<[Int]> = []
        for fileIndex in files.indices {
            var losingIDs: Set<RegionID> = []
            for declared in files[fileIndex].declaredIDs {
                guard let earlier = first[declared.value] else {
                    first[declared.value] = declared.location
                    continue
                }
                let id = MessageText.quote(declared.value.rawValue)
                files[fileIndex].diagnostics += [
                    Diagnostic(
                        .error,
                        "region id \(id) is already declared at \(earlier); rename or remove one of them (the first "
                            + "declaration wins)",
                        at: declared.location),
                    Diagnostic(.note, "\(id) is first declared here", at: earlier),
                ]
                losingIDs.insert(declared.value)
            }
            for (regionIndex, decoded) in files[fileIndex].regions.enumerated()
            where losingIDs.contains(decoded.region.id) && first[decoded.region.id] != decoded.region.location {
                losers.insert([fileIndex, regionIndex])
            }
        }
        return losers
    }

    private struct Entry {
        var range: GuestRange
        /// The domain as text, computed once for sorting.
        var domainKey: String
        /// (file, region, range) indices: the order of declaration.
        var order: [Int]
        var file: Int { order[0] }
    }

    /// Sorts every range by domain and begin and sweeps once, so each overlap costs O(log n), not O(n²).
    private static func checkOverlaps(_ files: inout [DecodedManifest], skipping losers: Set<[Int]>) {
        var entries: [Entry] = []
        for (fileIndex, file) in files.enumerated() {
            for (regionIndex, decoded) in file.regions.enumerated() where !losers.contains([fileIndex, regionIndex]) {
                for (rangeIndex, range) in decoded.ranges.enumerated() {
                    entries.append(
                        Entry(
                            range: range, domainKey: String(describing: range.domain),
                            order: [fileIndex, regionIndex, rangeIndex]))
                }
            }
        }
        entries.sort { lhs, rhs in
            if lhs.domainKey != rhs.domainKey { return lhs.domainKey < rhs.domainKey }
            if lhs.range.begin != rhs.range.begin { return lhs.range.begin < rhs.range.begin }
            return lhs.order.lexicographicallyPrecedes(rhs.order)
        }
        var reported: Set<[Int]> = []
        var reach: Entry?
        for entry in entries {
            guard let widest = reach, widest.range.domain == entry.range.domain else {
                reach = entry
                continue
            }
            if entry.range.begin < widest.range.end {
                let (later, earlier) =
                    entry.order.lexicographicallyPrecedes(widest.order) ? (widest, entry) : (entry, widest)
                if reported.insert(later.order).inserted {
                    files[later.file].diagnostics += overlap(later.range, with: earlier.range)
                }
            }
            if entry.range.end > widest.range.end { reach = entry }
        }
    }

    private static func overlap(_ later: GuestRange, with earlier: GuestRange) -> [Diagnostic] {
        let laterRange = NumberFormat.range(begin: later.begin, size: later.size)
        let earlierRange = NumberFormat.range(begin: earlier.begin, size: earlier.size)
        let laterID = MessageText.quote(later.region.rawValue)
        let earlierID = MessageText.quote(earlier.region.rawValue)
        return [
            Diagnostic(
                .error,
                "the \(later.role.rawValue) range \(laterRange) of region \(laterID) overlaps the "
                    + "\(earlier.role.rawValue) range \(earlierRange) of region \(earlierID) in \(later.domain); move "
                    + "one of them",
                at: later.location),
            Diagnostic(
                .note, "region \(earlierID) uses \(earlierRange) in \(earlier.domain) here", at: earlier.location),
        ]
    }
}
