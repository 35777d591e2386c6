import SSHMCore
import SSHMTestSupport

/// Validates manifests given as text, as the files `m.yaml`, `n.yaml`, … unless named.
func validate(_ texts: [(path: String, text: String)], arch: Arch = .x86_64) -> DesiredState {
    ManifestSet.validate(texts.map { ManifestInput(path: $0.path, text: $0.text) }, arch: arch)
}

/// The rendered diagnostics of one manifest named `m.yaml`.
func rendered(_ text: String, arch: Arch = .x86_64) -> [String] {
    validate([("m.yaml", text)], arch: arch).diagnostics.map(\.description)
}

/// `telemetryManifest` with `line` (1-based) replaced by `replacement` (several lines allowed).
func telemetry(replacingLine line: Int, with replacement: String) -> String {
    var lines = telemetryManifest.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    lines[line - 1] = replacement
    return lines.joined(separator: "\n")
}
