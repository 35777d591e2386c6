import ArgumentParser
import SSHMCore
import SSHMReconcile

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

    @Option(
        help: ArgumentHelp(
            "The directory of manifests to check (default: \(ConfigDirectory.defaultPath)).", valueName: "dir"),
        completion: .directory)
    var configDir: String?

    @Flag(help: "Print a JSON report on stdout instead of the findings and the summary line.")
    var json = false

    @Option(
        help: """
            The host architecture to validate for: x86_64 or arm64. Given, a cache_policy meant for the other one \
            is also warned about (default: this machine's, without that warning, since a manifest may serve \
            several hosts).
            """)
    var arch: Arch?

    @Argument(help: "Manifest files to check instead of a directory.", completion: .file(extensions: ["yaml", "yml"]))
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
            ? ConfigDirectory.load(
                configDir ?? ConfigDirectory.defaultPath, arch: arch ?? .host, archIsKnown: arch != nil,
                requireSecureOwnership: true)
            : ManifestFiles.load(
                files, arch: arch ?? .host, archIsKnown: arch != nil, requireSecureOwnership: false)
        let report = ValidationReport(state)
        if json {
            Output.print(try JSONOutput.render(ValidateJSON(report)))
        } else {
            Output.diagnostics(state.diagnostics)
            print(report.summary)
        }
        if report.errors > 0 { throw ExitCode(ExitStatus.dataError) }
    }
}

/// `validate --json` (schema: `docs/validate.schema.json`).
struct ValidateJSON: Encodable {
    var formatVersion = JSONOutput.formatVersion
    var files: [ValidationReport.File]
    var regions: Int
    var errors: Int
    var warnings: Int
    var diagnostics: [ValidationReport.Finding]

    init(_ report: ValidationReport) {
        files = report.files
        regions = report.regions
        errors = report.errors
        warnings = report.warnings
        diagnostics = report.diagnostics
    }
}
