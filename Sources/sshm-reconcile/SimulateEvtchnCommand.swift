import ArgumentParser
import SSHMCore
import SSHMReconcile

/// `simulate-evtchn`: what a simulated guest does with its own event-channel ports, for the tests and the demo
/// (docs/design.md, "Ports and the simulated hypervisor"). Hidden: real guests use libxenevtchn (`sshm-guest`).
struct SimulateEvtchnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate-evtchn",
        abstract: "A simulated guest's event-channel calls (--hypervisor simulated only).", shouldDisplay: false,
        subcommands: [AllocUnbound.self, Bind.self, Close.self, Status.self])

    /// `alloc-unbound`: prints the new port.
    struct AllocUnbound: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "alloc-unbound", abstract: "Allocate a port of --domain that --remote may bind; print it.")

        @OptionGroup var guest: SimulatedGuest
        @Option(help: "The domain that may bind the port.") var remote: DomID

        func run() async throws {
            let remote = remote
            let port = try await guest.call { try $0.allocateUnboundEventChannel(domain: $1, remote: remote) }
            Output.print("\(port)\n")
        }
    }

    /// `bind`: prints the new local port.
    struct Bind: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bind a new port of --domain to --remote's --remote-port; print it.")

        @OptionGroup var guest: SimulatedGuest
        @Option(help: "The domain that allocated the port.") var remote: DomID
        @Option(help: "The remote's port, unbound for --domain.") var remotePort: UInt32

        func run() async throws {
            let (remote, remotePort) = (remote, remotePort)
            let port = try await guest.call {
                try $0.bindInterdomainEventChannel(domain: $1, remote: remote, remotePort: remotePort)
            }
            Output.print("\(port)\n")
        }
    }

    /// `close`: prints nothing.
    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close --domain's --port.")

        @OptionGroup var guest: SimulatedGuest
        @Option(help: "The port.") var port: UInt32

        func run() async throws {
            let port = port
            try await guest.call { try $0.closeEventChannel(domain: $1, port: port) }
        }
    }

    /// `status`: prints `closed`, `unbound REMOTE`, `interdomain REMOTE REMOTE-PORT` or `other KIND`.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print --domain's --port as dom0 sees it: closed, unbound R, interdomain R P.")

        @OptionGroup var guest: SimulatedGuest
        @Option(help: "The port.") var port: UInt32

        func run() async throws {
            let port = port
            let status = try await guest.call { try $0.eventChannelStatus(domain: $1, port: port) }
            let text =
                switch status {
                case .closed: "closed"
                case .unbound(let remote): "unbound \(remote)"
                case .interdomain(let remote, let remotePort): "interdomain \(remote) \(remotePort)"
                case .other(let kind): "other \(kind)"
                }
            Output.print(text + "\n")
        }
    }
}

/// What every `simulate-evtchn` call takes: the host options, which must choose the simulator, and the domain that
/// makes the call.
struct SimulatedGuest: ParsableArguments {
    @OptionGroup var options: HostOptions
    @Option(help: "The simulated domain that makes the call.") var domain: DomID

    func validate() throws {
        guard options.hypervisor == .simulated else {
            throw ValidationError("simulate-evtchn acts on the simulated hypervisor: add --hypervisor simulated.")
        }
    }

    /// Runs `body` with the simulator and the domain; a refused call prints its error and exits 1.
    @discardableResult
    func call<T: Sendable>(_ body: @escaping @Sendable (SimulatedHypervisor, DomID) throws -> T) async throws -> T {
        try options.createSimulatorStateDir()
        let host = try await Host.open(options, logger: options.logging.logger())
        let domain = domain
        do {
            return try await host.run {
                guard let simulator = host.hypervisor as? SimulatedHypervisor else {
                    throw ValidationError(
                        "simulate-evtchn acts on the simulated hypervisor: add --hypervisor simulated.")
                }
                return try body(simulator, domain)
            }
        } catch let error as HypervisorError {
            Output.error("\(error)")
            throw ExitCode(error.code == .unavailable ? ExitStatus.unavailable : ExitStatus.failure)
        }
    }
}

extension DomID: ExpressibleByArgument {
    /// A domid in decimal, as xenstore writes it.
    public init?(argument: String) { self.init(decimal: argument) }
}
