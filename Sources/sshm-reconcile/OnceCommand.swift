import ArgumentParser

/// `sshm-reconcile --once [options]`: `apply`, for cron and systemd timers.
///
/// The root command's default subcommand, so the parser reaches it whenever no subcommand is named, and hidden. Its
/// name is the flag: the parser never takes an option for a subcommand's name, and usage lines read
/// `sshm-reconcile --once [<options>]`. Only this command takes `--once`, so no root-level option shadows a
/// subcommand's (a root option is parsed wherever it appears, also after the subcommand's name).
struct OnceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "--once",
        abstract: "Make the host match the manifests, once (same as apply).",
        discussion: ApplyCommand.configuration.discussion,
        shouldDisplay: false)

    @Flag(help: .hidden)
    var once = false

    @OptionGroup var pass: ApplyPass

    /// A word that is no command (the parser gives it here, as no subcommand matched).
    @Argument(help: .private)
    var command: String?

    func validate() throws {
        if let command {
            throw ValidationError("'\(command)' is not a command: `sshm-reconcile --help` lists them.")
        }
        guard !once else { return }
        // Reached without --once: a bare `sshm-reconcile` shows the help, as a command with subcommands does; options
        // without --once are a usage error. The parser cannot tell these apart, the command line can.
        guard CommandLine.arguments.count > 1 else { throw CleanExit.helpRequest(SSHMReconcileCommand.self) }
        throw ValidationError("Name a command, or --once to apply once: `sshm-reconcile --help` lists them.")
    }

    func run() async throws {
        throw ExitCode(try await pass.apply())
    }
}
