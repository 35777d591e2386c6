/// What one manifest file contributed: its regions, or nothing because it is frozen.
package struct ManifestFile: Hashable, Sendable {
    package enum Status: Hashable, Sendable {
        /// Parsed and validated: these are all the regions it declares (possibly none).
        case valid([Region])
        /// Failed to read, parse or validate: the regions it declared before stay as they are, neither changed
        /// nor pruned, until it is valid again.
        case frozen
    }

    package var path: String
    package var status: Status
    package var diagnostics: [Diagnostic]

    package init(path: String, status: Status, diagnostics: [Diagnostic]) {
        self.path = path
        self.status = status
        self.diagnostics = diagnostics
    }
}

/// Everything the config directory says, after validation: the input of the planner.
///
/// Public only so that the separate benchmark package can call ``ManifestSet/validate(_:arch:)``; its members stay
/// `package`, except the counts the benchmarks check.
public struct DesiredState: Hashable, Sendable {
    /// Every manifest file found, in the order they were read (lexical).
    package var files: [ManifestFile] {
        didSet { index() }
    }
    /// Findings about the directory itself (missing, unreadable, insecure).
    package var directoryDiagnostics: [Diagnostic]

    /// The regions of every valid file, in file order. Kept with the files: a daemon plans from them on every event.
    package private(set) var regions: [Region] = []
    /// The same, by id (validation guarantees one region per id; the first would win).
    package private(set) var regionsByID: [RegionID: Region] = [:]
    /// The regions that name each domain reference, as owner or borrower: what a domain's arrival or departure can
    /// affect, found without going through every region.
    package private(set) var regionsByDomain: [DomainRef: [RegionID]] = [:]

    package init(files: [ManifestFile], directoryDiagnostics: [Diagnostic] = []) {
        self.files = files
        self.directoryDiagnostics = directoryDiagnostics
        index()
    }

    private mutating func index() {
        regions = files.flatMap { file -> [Region] in
            if case .valid(let regions) = file.status { return regions }
            return []
        }
        regionsByID = Dictionary(regions.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        regionsByDomain = [:]
        for region in regions {
            for domain in Set([region.owner.domain] + region.borrowers.map(\.domain)) {
                regionsByDomain[domain, default: []].append(region.id)
            }
        }
    }

    /// Paths of files that exist but are frozen: their regions must be left alone.
    package var frozenSources: Set<String> {
        Set(files.lazy.filter { $0.status == .frozen }.map(\.path))
    }

    /// Paths of files that parsed and validated cleanly.
    package var validSources: Set<String> {
        Set(files.lazy.filter { $0.status != .frozen }.map(\.path))
    }

    package var diagnostics: [Diagnostic] { directoryDiagnostics + files.flatMap(\.diagnostics) }
    package var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

extension DesiredState {
    /// How many files were read, regions are valid and errors were found (for benchmarks' sanity checks).
    public var counts: (files: Int, regions: Int, errors: Int) {
        (files.count, regions.count, diagnostics.lazy.filter { $0.severity == .error }.count)
    }
}
