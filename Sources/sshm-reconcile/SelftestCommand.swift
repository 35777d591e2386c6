import ArgumentParser
import Logging
import SSHMCore
import SSHMReconcile

#if canImport(Glibc)
    import Glibc
#endif

/// Hidden checks of this host's adapters, for the system tier and for people bringing up a new host.
struct SelftestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest", abstract: "Check this host's adapters against their contracts.", shouldDisplay: false,
        subcommands: [SelftestHypervisor.self, SelftestDomains.self])
}

/// `selftest domains`: the domains as the hypervisor adapter lists them, one line each, to compare with `xl list -v`.
struct SelftestDomains: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "domains", abstract: "List domains as --hypervisor sees them: domid, UUID, kind, state.")

    @OptionGroup var options: HostOptions

    func run() async throws {
        let host = try await Host.open(options, logger: options.logging.logger())
        let domains = try await host.run { try host.hypervisor.listDomains() }
        Output.print(
            domains.map { domain in
                let state = domain.isDying ? "dying" : domain.isShutdown ? "shutdown" : "running"
                return "\(domain.domid) \(domain.uuid) \(domain.kind.rawValue) \(state)\n"
            }.joined())
    }
}

/// `selftest hypervisor`: the Hypervisor port's contract against the chosen adapter, on this host's domains.
struct SelftestHypervisor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hypervisor",
        abstract:
            "Run the Hypervisor contract (list, map, unmap, refusals, event-channel status) against --hypervisor.",
        discussion: """
            Every probe maps --pages owner frames from --owner-gfn into the borrower at --borrower-gfn (which must \
            be a hole in the borrower's physical map) and unmaps whatever mapped. In the control domain, the \
            event-channel checks allocate, bind and close a channel that loops back inside dom0 (libxenevtchn on \
            Xen) and read each state with xc_evtchn_status. Prints one PASS/FAIL line per check and \
            "N passed, N failed"; exits 1 when a check failed.
            """)

    @OptionGroup var options: HostOptions

    @Option(
        name: .customLong("probe"),
        help: ArgumentHelp(
            "BORROWER:OWNER:SPACE[:call=ERRNO|pages=ERRNO]: must map, or must be refused as a whole call or per page.",
            valueName: "spec"))
    var probes: [String] = []

    @Option(
        help: ArgumentHelp(
            "A translated borrower on which unmapping an unmapped frame must answer not mapped.", valueName: "domain"))
    var unmapProbe: [String] = []

    @Option(help: "First owner frame of every probe (0x… or decimal).")
    var ownerGfn: FrameNumber = FrameNumber(0x100)

    @Option(help: "First borrower frame of every probe: a hole in the borrower's physical map.")
    var borrowerGfn: FrameNumber = FrameNumber(0x100_0000)

    @Option(help: "Pages per probe (1-64).")
    var pages = 4

    @Option(help: "A domid no domain holds.")
    var missingDomain: UInt32 = 32000

    @Flag(help: "Expect not to run in the control domain.")
    var notControlDomain = false

    func validate() throws {
        guard (1...64).contains(pages) else { throw ValidationError("--pages must be between 1 and 64, got \(pages).") }
        guard DomID(missingDomain) != nil else {
            throw ValidationError("--missing-domain must be below \(DomID.firstReserved), got \(missingDomain).")
        }
        for probe in probes where ProbeSpec(parsing: probe) == nil {
            throw ValidationError(
                "--probe \(probe): write BORROWER:OWNER:SPACE[:call=ERRNO|pages=ERRNO], "
                    + "e.g. pv-b:pv-a:foreign:call=EACCES.")
        }
        for domain in unmapProbe where ProbeSpec.domain(domain) == nil {
            throw ValidationError("--unmap-probe \(domain): give a domain name or domid, e.g. pvh-owner.")
        }
    }

    func run() async throws {
        let logger = options.logging.logger()
        try options.createSimulatorStateDir()
        let host = try await Host.open(options, logger: logger)
        let specs = probes.compactMap(ProbeSpec.init(parsing:))
        let unmapRefs = unmapProbe.compactMap(ProbeSpec.domain)
        let hypervisorChoice = options.hypervisor
        let (ownerGFN, borrowerGFN, pages) = (ownerGfn.value, borrowerGfn.value, pages)
        let (missing, expectControl) = (DomID(unchecked: missingDomain), !notControlDomain)
        let results: [ContractResult] = try await host.run {
            var unresolved: [ContractResult] = []
            var eventChannelPair: ContractEnvironment.EventChannelPair?
            if expectControl {
                do {
                    let dom0 = try Self.dom0EventChannels(host, choice: hypervisorChoice, logger: logger)
                    eventChannelPair = ContractEnvironment.EventChannelPair(local: dom0, remote: dom0)
                } catch {
                    unresolved.append(ContractResult(name: "evtchn-open dom0", passed: false, detail: "\(error)"))
                }
            }
            let domains = try DomainDirectory.read(hypervisor: host.hypervisor, store: host.store)
            let probes = specs.compactMap { spec -> ContractEnvironment.Probe? in
                if let probe = spec.resolve(in: domains) { return probe }
                unresolved.append(
                    ContractResult(
                        name: "resolve \(spec.borrower) <- \(spec.owner)", passed: false,
                        detail: "no such running domain"))
                return nil
            }
            let unmapProbes = unmapRefs.compactMap { ref -> DomID? in
                if case .found(let domain) = domains.resolve(ref) { return domain.domid }
                unresolved.append(
                    ContractResult(name: "resolve \(ref)", passed: false, detail: "no such running domain"))
                return nil
            }
            let environment = ContractEnvironment(
                ownerGFN: ownerGFN, borrowerGFN: borrowerGFN, pages: pages, probes: probes, unmapProbes: unmapProbes,
                missingDomain: missing, expectControlDomain: expectControl,
                expectOversizedBatchRejected: hypervisorChoice == .xenctrl, eventChannelPair: eventChannelPair)
            let contract = HypervisorContract(
                hypervisor: host.hypervisor, store: host.store, environment: environment
            )
            return unresolved + contract.run()
        }
        let failed = results.filter { !$0.passed }.count
        Output.print(results.map { "\($0)\n" }.joined() + "\(results.count - failed) passed, \(failed) failed\n")
        if failed > 0 { throw ExitCode(ExitStatus.failure) }
    }

    /// dom0's own event-channel calls: libxenevtchn on Xen, the simulator's dom0 otherwise.
    private static func dom0EventChannels(_ host: Host, choice: HypervisorChoice, logger: Logger) throws
        -> any EventChannelGuest
    {
        if choice == .xenctrl { return try openXenEvtchn(logger: logger) }
        guard let simulator = host.hypervisor as? SimulatedHypervisor else {
            throw HypervisorError(code: .unavailable, operation: "simulated event channels", errno: ENODEV)
        }
        return SimulatedEventChannelGuest(simulator, domain: .dom0)
    }
}

/// A frame number on the command line: `0x…` hex or decimal.
struct FrameNumber: ExpressibleByArgument, Sendable {
    let value: UInt64

    init(_ value: UInt64) { self.value = value }

    init?(argument: String) {
        let parsed = argument.hasPrefix("0x") ? UInt64(argument.dropFirst(2), radix: 16) : UInt64(argument)
        guard let parsed else { return nil }
        value = parsed
    }

    var defaultValueDescription: String { "0x" + String(value, radix: 16) }
}
