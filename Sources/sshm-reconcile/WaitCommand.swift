import ArgumentParser
import SSHMCore
import SSHMReconcile

struct WaitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait until a domain's part of its regions, or a whole region, is in place.",
        discussion: """
            For each --domain, its own part of every region a manifest names it in: as a borrower, its record \
            entry and its guest view say mapped; as an owner, its record and view exist. For each --region, every \
            member's part. Woken by xenstore watches and by inotify on the state dir, never by polling. Takes no \
            lock and writes nothing: run it beside the daemon or after --once, e.g. between `xl create -p` and \
            `xl unpause` (deploy/sshm-xl-create). Exits 0 when everything is in place; 1 as soon as a region with \
            a part not in place is Failed (its message on stderr); 75 at the timeout, naming what is missing; 64 \
            for a domain or region no manifest mentions; 65 for a region whose manifest is invalid (Frozen); 69 \
            when xenstore or the hypervisor is unavailable.
            """)

    @OptionGroup var options: HostOptions

    @Option(
        name: .customLong("domain"),
        help: ArgumentHelp("Wait for this domain's own part (repeatable).", valueName: "name|domid"))
    var domains: [String] = []

    @Option(
        name: .customLong("region"),
        help: ArgumentHelp("Wait until this region is ready: every member's part (repeatable).", valueName: "id"))
    var regions: [String] = []

    @Option(
        help: ArgumentHelp(
            "Give up after this long, exit 75 (systemd.time(7): 500ms, 30s, 5min; default: \(Self.timeoutDefault)).",
            valueName: "duration"),
        transform: DurationArgument.parse)
    var timeout = Self.timeoutDefault

    static let timeoutDefault = DurationArgument(.seconds(30))

    @Flag(
        help: ArgumentHelp(
            "Also wait until each part's doorbells are connected (docs/guest-view.md): a borrower's with its owner, an owner's with each borrower that has one."
        ))
    var doorbell = false

    @Flag(help: "Print the outcome as JSON (docs/wait.schema.json) instead of lines for people.")
    var json = false

    func validate() throws {
        guard !domains.isEmpty || !regions.isEmpty else {
            throw ValidationError("name what to wait for: --domain NAME|DOMID or --region ID (each repeatable).")
        }
        _ = try request()
    }

    func request() throws -> ReadinessRequest {
        var request = ReadinessRequest(doorbell: doorbell)
        for text in domains {
            guard case .success(let reference) = DomainGrammar.parse(text) else {
                throw ValidationError(
                    "'\(text)' is not a domain: give a domid or a name of letters, digits, '.', '_' and '-'.")
            }
            request.domains.append(reference)
        }
        for text in regions {
            guard let id = RegionID(text) else {
                throw ValidationError("'\(text)' is not a region id: ids are 1-128 letters, digits, '-' and '_'.")
            }
            request.regions.append(id)
        }
        return request
    }

    func run() async throws {
        let logger = options.logging.logger()
        let request = try request()
        let desired = options.loadDesiredState()
        let host = try await Host.open(options, logger: logger)
        let waiter = ReadinessWaiter(
            store: host.store, hypervisor: host.hypervisor, blocking: host.blocking,
            stateDirectory: options.resolvedStateDir, logger: logger)
        let verdict: ReadinessVerdict
        do {
            verdict = try await waiter.wait(request, desired: desired, timeout: timeout.duration)
        } catch {
            Output.error("\(error)")
            throw ExitCode(ExitStatus.unavailable)
        }
        if json {
            Output.print(try WaitJSON.render(verdict))
        } else {
            report(verdict)
        }
        throw ExitCode(ExitStatus.afterWait(verdict.outcome))
    }

    /// The parts in place on stdout (unless -q); anything else as one error line.
    private func report(_ verdict: ReadinessVerdict) {
        let messages = verdict.messages.joined(separator: "; ")
        switch verdict.outcome {
        case .ready:
            if !options.logging.quiet { Output.print(verdict.messages.map { $0 + "\n" }.joined()) }
        case .unknown:
            Output.error(
                "no manifest in \(options.configDir) mentions \(messages): name a domain or region a manifest declares."
            )
        case .frozen:
            Output.error(messages + ".")
        case .failed:
            Output.error(messages)
        case .waiting:
            Output.error("still missing after \(timeout): \(messages).")
        }
    }
}
