import ArgumentParser

@main
struct SSHMReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sshm-reconcile",
        abstract: "Make a Xen host's static shared-memory regions match the YAML manifests in /etc/sshm.d.",
        discussion: """
            Operators declare regions in /etc/sshm.d/*.yaml. sshm-reconcile compares them with the \
            /libxl/static_shm records in xenstore and maps, repairs or rolls back until the host matches. \
            Run it once (`sshm-reconcile --once`, from cron or a systemd timer) or as a daemon woken by xenstore \
            watches.
            """,
        version: Version.current,
        subcommands: [
            Validate.self, PlanCommand.self, ApplyCommand.self, StatusCommand.self, ImportXL.self, SelftestCommand.self,
        ]
    )

    @Flag(help: "Apply once and exit: the same as `apply` (for cron and systemd timers).")
    var once = false

    @OptionGroup var options: HostOptions

    func run() async throws {
        guard once else { throw CleanExit.helpRequest(self) }
        throw ExitCode(try await ApplyCommand.apply(options))
    }
}
