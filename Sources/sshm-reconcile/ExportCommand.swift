import ArgumentParser
import Logging
import SSHMCore
import SSHMReconcile
import SSHMXen

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension ExportFormat: ExpressibleByArgument {}

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Describe one domain's regions for its guest: a device-tree overlay, a C header or JSON.",
        discussion: """
            Prints the regions the manifests give the domain, as the domain sees them (its own address and size, \
            the offset into the owner's pages, prot and id), on stdout. dts is an overlay in upstream Xen's \
            binding for guests (/reserved-memory/xen-shmem@<address>, compatible "xen,shared-memory-v1", reg, \
            xen,id, xen,offset) for U-Boot's `fdt apply` or the guest's own build; c-header has an include guard \
            and SSHM_<ID>_BASE, _SIZE, _OFFSET, _PROT and _ID per region; json carries the same facts for scripts.

            Works from the manifests alone, before the domain exists, when they name the domain the way --domain \
            does. When some name it by domid and --domain gives a name (or the other way round), xenstore \
            (XENSTORED_PATH) relates names and domids. Touches nothing.

            Exit codes: 64 the domain is unknown (or a usage error); 69 xenstore was needed and is unavailable; \
            65 a manifest is invalid, an id is too long for a device tree, or two ids become the same C macro; \
            0 otherwise, also for a domain in no region (an empty file, said on stderr).
            """)

    @Option(help: ArgumentHelp("The domain: a name, or a domid.", valueName: "name|domid"))
    var domain: String

    @Option(help: "What to print: dts (a device-tree overlay), c-header or json.")
    var format: ExportFormat

    @Option(
        name: .customLong("region"),
        help: ArgumentHelp("Only this region (repeat for more); by default all of the domain's.", valueName: "id"))
    var regions: [String] = []

    @Option(help: ArgumentHelp("Directory of manifests (*.yaml, *.yml).", valueName: "dir"), completion: .directory)
    var configDir = ConfigDirectory.defaultPath

    func validate() throws {
        guard case .success = DomainGrammar.parse(domain) else {
            throw ValidationError(
                "--domain takes a domain name (letters, digits, '.', '_', '-') or a domid, not "
                    + "\(MessageText.quote(domain)).")
        }
        for region in regions where RegionID(region) == nil {
            throw ValidationError(
                "--region takes a region id (letters, digits, '_', '-'), not \(MessageText.quote(region)).")
        }
    }

    func run() async throws {
        guard case .success(let reference) = DomainGrammar.parse(domain) else { throw ExitCode(ExitStatus.usage) }
        let directory = HostOptions.absolute(configDir)
        // Read like `validate FILE…`: descriptors are built where the manifests are, not only on the host as root.
        let desired = ConfigDirectory.load(directory, arch: .host, requireSecureOwnership: false)
        if desired.hasErrors {
            Output.diagnostics(desired.diagnostics)
            Output.error("the manifests have errors: fix them before exporting, or a file's regions would be missing")
            throw ExitCode(ExitStatus.dataError)
        }
        var resolver = NameResolver()
        var selected: [GuestRegion]
        switch ExportSelection.select(reference, in: desired.regions) {
        case .regions(let found):
            selected = found
        case .needsNames(let unresolved):
            let names = try resolver.names(needed: unresolved, for: reference)
            selected = ExportSelection.select(reference, in: desired.regions, names: names)
        }
        let ids = regions.compactMap(RegionID.init)
        switch ExportSelection.only(ids, of: selected, domain: reference, declared: Set(desired.regionsByID.keys)) {
        case .success(let kept): selected = kept
        case .failure(let problem):
            problem.messages.forEach(Output.error)
            throw ExitCode(ExitStatus.usage)
        }
        let duplicates = ExportSelection.duplicates(selected, domain: reference)
        guard duplicates.isEmpty else {
            Output.diagnostics(duplicates)
            throw ExitCode(ExitStatus.dataError)
        }
        if selected.isEmpty { try resolver.requireDomain(reference, directory: directory) }
        let description = GuestDescription(
            domain: reference, names: resolver.known, configDirectory: directory, regions: selected)
        let rendered: Result<String, ExportRefusal>
        switch format {
        case .dts: rendered = DeviceTreeOverlay.render(description)
        case .cHeader: rendered = CHeader.render(description)
        case .json: rendered = .success(try Self.json(ExportDocument(description)))
        }
        switch rendered {
        case .success(let text):
            Output.print(text)
            if selected.isEmpty {
                Output.error(
                    "\(domain) takes part in no region of \(directory): printed \(format.emptyFileName)")
            }
        case .failure(let refusal):
            Output.diagnostics(refusal.diagnostics)
            throw ExitCode(ExitStatus.dataError)
        }
    }

    static func json(_ document: ExportDocument) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
    }
}

/// Asks xenstore for domain names at most once, and only when the manifests alone cannot answer.
private struct NameResolver {
    /// What xenstore said, once asked.
    private(set) var known: DomainNames?

    /// The names, or exit 69 saying which references could not be related to `domain`.
    mutating func names(needed: [ExportSelection.Unresolved], for domain: DomainRef) throws -> DomainNames {
        switch read() {
        case .success(let names): return names
        case .failure(let error):
            let shown = needed.prefix(3).map(\.description) + (needed.count > 3 ? ["\(needed.count - 3) more"] : [])
            Output.error(
                "cannot tell whether \(MessageText.list(shown)) \(needed.count == 1 ? "is" : "are") \(domain) "
                    + "without xenstore (\(error)); name the domain in --domain the way the manifests do, or run "
                    + "where xenstore answers")
            throw ExitCode(ExitStatus.unavailable)
        }
    }

    /// Returns when `domain`, in no region, is a domain xenstore knows; otherwise exits 64 (it is unknown).
    mutating func requireDomain(_ domain: DomainRef, directory: String) throws {
        switch read() {
        case .success(let names) where names.contains(domain):
            return
        case .success:
            Output.error(
                "unknown domain \(domain): no manifest in \(directory) names it and xenstore knows no such domain; "
                    + "check --domain")
        case .failure(let error):
            Output.error(
                "unknown domain \(domain): no manifest in \(directory) names it, and xenstore, which could say "
                    + "whether it is a domain, is unavailable (\(error)); check --domain")
        }
        throw ExitCode(ExitStatus.usage)
    }

    private mutating func read() -> Result<DomainNames, any Error> {
        if let known { return .success(known) }
        do {
            let store = try LibXenStore.open(logger: Logger(label: "sshm-reconcile") { _ in SwiftLogNoOpLogHandler() })
            defer { store.close() }
            let names = try DomainDirectory.names(store: store)
            known = names
            return .success(names)
        } catch {
            return .failure(error)
        }
    }
}
