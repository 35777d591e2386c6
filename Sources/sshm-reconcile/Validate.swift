import ArgumentParser
import SSHMCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check manifests without touching xenstore or the hypervisor.",
        discussion: """
            Validates every manifest in the config directory, or the files given, with the same rules as plan and \
            apply, cross-file checks included. Findings go to stderr as path:line:column: severity: message; a \
            summary line goes to stdout. Exits 0 when there is no error (warnings allowed) and 65 otherwise.
            """)

    @Option(help: "The directory of manifests to check (default: \(ConfigDirectory.defaultPath)).")
    var configDir: String?

    @Flag(help: "Print a JSON report on stdout instead of the findings and the summary line.")
    var json = false

    @Option(help: "The host architecture to validate for: x86_64 or arm64 (default: this machine's).")
    var arch: Arch = .host

    @Argument(help: "Manifest files to check instead of a directory.")
    var files: [String] = []

    func validate() throws {
        if configDir != nil, !files.isEmpty {
            throw ValidationError("Pass either --config-dir or manifest files, not both.")
        }
    }

    func run() async throws {
        // A directory must be trustworthy, as plan and apply will require; files named here are only warned about.
        let state =
            files.isEmpty
            ? ConfigDirectory.load(configDir ?? ConfigDirectory.defaultPath, arch: arch, requireSecureOwnership: true)
            : ManifestFiles.load(files, arch: arch, requireSecureOwnership: false)
        let report = ValidationReport(state)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(report)
            Output.print(String(decoding: data, as: UTF8.self) + "\n")
        } else {
            Output.diagnostics(state.diagnostics)
            print(report.summary)
        }
        if report.errors > 0 { throw ExitCode(ExitStatus.dataError) }
    }
}
