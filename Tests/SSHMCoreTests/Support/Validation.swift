import SSHMCore

/// Validates manifests given as text, as the files `m.yaml`, `n.yaml`, … unless named.
func validate(_ texts: [(path: String, text: String)], arch: Arch = .x86_64) -> DesiredState {
    ManifestSet.validate(texts.map { ManifestInput(path: $0.path, text: $0.text) }, arch: arch)
}

/// The rendered diagnostics of one manifest named `m.yaml`.
func rendered(_ text: String, arch: Arch = .x86_64) -> [String] {
    validate([("m.yaml", text)], arch: arch).diagnostics.map(\.description)
}

/// A valid manifest with one region, to mutate line by line in tests.
let telemetryManifest = """
    version: 1
    regions:
      - id: telemetry
        owner:
          domain: sensor-vm
          begin: 0x7fe00000
          size: 2MiB
        borrowers:
          - domain: logger-vm
            begin: 0x1000000000
            size: 1MiB

    """

/// `telemetryManifest` with `line` (1-based) replaced by `replacement` (several lines allowed).
func telemetry(replacingLine line: Int, with replacement: String) -> String {
    var lines = telemetryManifest.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    lines[line - 1] = replacement
    return lines.joined(separator: "\n")
}
