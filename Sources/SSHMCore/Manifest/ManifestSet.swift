/// Validates a set of manifests together: the pure entry point behind `validate`, `plan`, `apply` and the daemon.
public enum ManifestSet {
    /// Most diagnostics one file reports; past that a note says how many more there were.
    package static let maxDiagnosticsPerFile = 200
    /// Longest the check of one file may take; past it the file freezes (see ``CheckDeadline``).
    package static let checkTimeLimit: Duration = .seconds(2)

    /// Decodes every input, applies the cross-file rules and says, per file, which regions are valid.
    ///
    /// `inputs` are in precedence order (lexical for a config dir): on a duplicate id or an overlap the earlier
    /// declaration wins and the later file freezes.
    public static func validate(_ inputs: [ManifestInput], arch: Arch) -> DesiredState {
        validate(inputs, arch: arch, directoryDiagnostics: [])
    }

    /// - Parameter archIsKnown: `arch` is the host's (see ``ManifestDecoder/archIsKnown``).
    package static func validate(
        _ inputs: [ManifestInput], arch: Arch, archIsKnown: Bool = false, directoryDiagnostics: [Diagnostic],
        deadline: () -> CheckDeadline = { .after(checkTimeLimit) }
    ) -> DesiredState {
        var decoded = inputs.map { input -> DecodedManifest in
            guard let bytes = input.contents else { return DecodedManifest(diagnostics: input.diagnostics) }
            var manifest = ManifestDecoder.decode(
                bytes, file: input.path, arch: arch, archIsKnown: archIsKnown, deadline: deadline())
            manifest.diagnostics = input.diagnostics + manifest.diagnostics
            return manifest
        }
        CrossFileRules.apply(to: &decoded)
        let files = zip(inputs, decoded).map { input, manifest in
            let frozen = input.contents == nil || manifest.hasErrors
            return ManifestFile(
                path: input.path, status: frozen ? .frozen : .valid(manifest.regions.map(\.region)),
                diagnostics: capped(inSourceOrder(manifest.diagnostics), file: input.path))
        }
        return DesiredState(files: files, directoryDiagnostics: directoryDiagnostics)
    }

    /// Sorts findings by position, each error keeping the notes that follow it; findings without a line come first.
    static func inSourceOrder(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        var groups: [[Diagnostic]] = []
        for diagnostic in diagnostics {
            if diagnostic.severity == .note, !groups.isEmpty {
                groups[groups.count - 1].append(diagnostic)
            } else {
                groups.append([diagnostic])
            }
        }
        let ordered = groups.enumerated().sorted { lhs, rhs in
            let (left, right) = (lhs.element[0].location, rhs.element[0].location)
            switch (left, right) {
            case (nil, nil): return lhs.offset < rhs.offset
            case (nil, _): return true
            case (_, nil): return false
            case (let left?, let right?):
                if (left.line, left.column) != (right.line, right.column) {
                    return (left.line, left.column) < (right.line, right.column)
                }
                return lhs.offset < rhs.offset
            }
        }
        return ordered.flatMap(\.element)
    }

    private static func capped(_ diagnostics: [Diagnostic], file: String) -> [Diagnostic] {
        guard diagnostics.count > maxDiagnosticsPerFile else { return diagnostics }
        var kept = Array(diagnostics.prefix(maxDiagnosticsPerFile))
        // A note belongs to the error before it; do not end on an error whose note was cut.
        while kept.last?.severity == .error, diagnostics[kept.count].severity == .note { kept.removeLast() }
        let cut = diagnostics[kept.count...]
        // The summary must still count an error when every error shown was cut.
        let severity: Diagnostic.Severity =
            cut.contains { $0.severity == .error } && !kept.contains { $0.severity == .error } ? .error : .note
        let more = MessageText.count(cut.count, "more finding")
        kept.append(Diagnostic(severity, "\(more) in this file not shown; fix the ones above first", file: file))
        return kept
    }
}
