/// Converts the `static_shm` entries of xl domain configs (one config per domain) into one manifest; pure.
///
/// Entries with the same id become one region: the `role=owner` (or `master`) entry is its owner, the others its
/// borrowers. The result is checked by the same validator as every manifest, and each finding is reported at the
/// xl entry that caused it.
package enum XLImporter {
    package struct Result: Sendable {
        /// The manifest, or `nil` when there is any error.
        package var yaml: String?
        package var diagnostics: [Diagnostic]
        package var regionCount: Int
    }

    /// Name under which the generated YAML is validated, before findings are moved to the xl entries.
    static let generatedFile = "<import-xl output>"

    package static func convert(_ configs: [(path: String, text: String)], arch: Arch) -> Result {
        var diagnostics: [Diagnostic] = []
        var entries: [XLStaticShmEntry] = []
        for config in configs {
            let (found, problems) = entriesOf(config.text, file: config.path)
            entries += found
            diagnostics += problems
        }
        let (drafts, groupingProblems) = regions(from: entries)
        diagnostics += groupingProblems
        let headerComments = [
            "Converted by sshm-reconcile import-xl from " + configs.map(\.path).joined(separator: ", ") + ".",
            "Each borrower's begin must be a hole in its guest-physical memory map, never its RAM.",
        ]
        let output = ManifestEncoder.encode(ManifestDraft(headerComments: headerComments, regions: drafts))
        let state = ManifestSet.validate(
            [ManifestInput(path: generatedFile, text: output.text)], arch: arch, directoryDiagnostics: [])
        diagnostics += state.diagnostics.map { moved($0, using: output) }
        let failed = diagnostics.contains { $0.severity == .error }
        return Result(yaml: failed ? nil : output.text, diagnostics: diagnostics, regionCount: drafts.count)
    }

    /// Every `static_shm` entry of one config, tagged with the config's `name`.
    static func entriesOf(_ text: String, file: String) -> (entries: [XLStaticShmEntry], diagnostics: [Diagnostic]) {
        let (settings, syntax) = XLConfigParser.parse(text, file: file)
        guard syntax.isEmpty else { return ([], syntax) }
        let start = SourceLocation(file: file, line: 1, column: 1)
        var diagnostics: [Diagnostic] = []
        var name: String?
        var specs: [XLValue] = []
        for setting in settings {
            switch setting.name {
            case "name":
                guard case .string(let value, _) = setting.value else {
                    diagnostics.append(
                        Diagnostic(.error, "name must be a quoted string such as \"vm1\"", at: setting.location))
                    continue
                }
                name = value
            case "static_shm":
                guard case .list(let items, _) = setting.value else {
                    let message = "static_shm must be a list such as [ \"id=ID1, …\" ]"
                    diagnostics.append(Diagnostic(.error, message, at: setting.location))
                    continue
                }
                specs = setting.appends ? specs + items : items
            default:
                continue
            }
        }
        guard let name else {
            return (
                [],
                diagnostics + [Diagnostic(.error, "the config has no name = \"…\"; add the domain's name", at: start)]
            )
        }
        if specs.isEmpty {
            diagnostics.append(
                Diagnostic(.warning, "the config has no static_shm entries; nothing to convert", at: start))
        }
        var entries: [XLStaticShmEntry] = []
        var firstOfID: [String: SourceLocation] = [:]
        for spec in specs {
            guard case .string(let text, let location) = spec else {
                let message = "each static_shm entry must be a quoted string such as \"id=ID1, …\""
                diagnostics.append(Diagnostic(.error, message, at: spec.location))
                continue
            }
            let (entry, problems) = XLStaticShmEntry.parse(text, domain: name, at: location)
            diagnostics += problems
            guard let entry else { continue }
            if let first = firstOfID[entry.id.value] {
                diagnostics += [
                    Diagnostic(
                        .error,
                        "id \(MessageText.quote(entry.id.value)) appears twice in this config; a domain may use each "
                            + "id once, so remove one entry",
                        at: entry.id.location),
                    Diagnostic(.note, "\(MessageText.quote(entry.id.value)) first appears here", at: first),
                ]
                continue
            }
            firstOfID[entry.id.value] = entry.id.location
            entries.append(entry)
        }
        return (entries, diagnostics)
    }

    /// Groups entries by id, in order of first appearance; a region needs exactly one owner.
    static func regions(from entries: [XLStaticShmEntry]) -> (regions: [RegionDraft], diagnostics: [Diagnostic]) {
        var order: [String] = []
        var byID: [String: [XLStaticShmEntry]] = [:]
        for entry in entries {
            if byID[entry.id.value] == nil { order.append(entry.id.value) }
            byID[entry.id.value, default: []].append(entry)
        }
        var diagnostics: [Diagnostic] = []
        var regions: [RegionDraft] = []
        for id in order {
            let group = byID[id] ?? []
            let owners = group.filter { $0.role == .owner }
            let quoted = MessageText.quote(id)
            guard let owner = owners.first else {
                diagnostics.append(
                    Diagnostic(
                        .error,
                        "region \(quoted) has no owner entry (role=owner) in the given configs; add the owner "
                            + "domain's config to the command line",
                        at: group[0].location))
                continue
            }
            for extra in owners.dropFirst() {
                diagnostics += [
                    Diagnostic(
                        .error, "region \(quoted) has a second owner; only one domain may have role=owner",
                        at: extra.location),
                    Diagnostic(.note, "the first owner of \(quoted) is here", at: owner.location),
                ]
            }
            regions.append(
                RegionDraft(
                    id: id, owner: endpoint(owner), borrowers: group.filter { $0.role == .borrower }.map(endpoint),
                    origin: owner.location))
        }
        return (regions, diagnostics)
    }

    private static func endpoint(_ entry: XLStaticShmEntry) -> EndpointDraft {
        let domain = (try? DomainGrammar.parse(entry.domain).get()) ?? .name(entry.domain)
        var draft = EndpointDraft(
            domain: domain, begin: entry.begin, offset: entry.offset, size: entry.size, prot: entry.prot,
            cachePolicy: entry.cachePolicy, origin: entry.location,
            comment: "from \(entry.location.file):\(entry.location.line)")
        draft.fieldOrigins = entry.keyLocations.filter { $0.key != "id" && $0.key != "role" }
        draft.fieldOrigins["domain"] = entry.location
        return draft
    }

    /// A finding in the generated YAML, moved to the xl entry the YAML line came from.
    private static func moved(_ diagnostic: Diagnostic, using output: ManifestEncoder.Output) -> Diagnostic {
        guard let location = diagnostic.location, location.file == generatedFile,
            let origin = output.origin(ofLine: location.line)
        else { return diagnostic }
        return Diagnostic(diagnostic.severity, diagnostic.message, at: origin)
    }
}
