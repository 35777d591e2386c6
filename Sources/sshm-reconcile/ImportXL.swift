import ArgumentParser
import SSHMCore
import SSHMReconcile

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

struct ImportXL: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-xl", abstract: "Convert the static_shm entries of xl domain configs into a manifest.",
        discussion: """
            Reads one xl config per domain (name = "…" and static_shm = [ "id=…, role=owner|borrower, begin=…, \
            size=…, offset=…, prot=…, cache_policy=…" ]; master and slave are read as owner and borrower) and \
            writes one manifest to stdout, with the entries of each id merged into one region. The result is \
            validated like any manifest; findings go to stderr at the xl entry that caused them, and any error \
            exits 65 with nothing on stdout.
            """)

    @Option(help: "The host architecture to validate for: x86_64 or arm64 (default: this machine's).")
    var arch: Arch = .host

    @Argument(help: "xl domain config files, one per domain.", completion: .file())
    var configs: [String]

    func validate() throws {
        if configs.isEmpty { throw ValidationError("Name at least one xl config file.") }
    }

    func run() async throws {
        var inputs: [(path: String, text: String)] = []
        var unreadable: [Diagnostic] = []
        for path in configs {
            let input = ManifestFileReader(requireTrust: false).read(path)
            guard let bytes = input.contents else {
                unreadable += input.diagnostics.filter { $0.severity == .error }
                continue
            }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                unreadable.append(Diagnostic(.error, "the config is not UTF-8 text", file: path))
                continue
            }
            inputs.append((path, text))
        }
        let result = XLImporter.convert(inputs, arch: arch)
        Output.diagnostics(unreadable + result.diagnostics)
        guard unreadable.isEmpty, let yaml = result.yaml else { throw ExitCode(ExitStatus.dataError) }
        Output.print(yaml)
    }
}
