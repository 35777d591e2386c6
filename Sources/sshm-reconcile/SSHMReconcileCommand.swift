import ArgumentParser

@main
struct SSHMReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sshm-reconcile",
        abstract: "Make a Xen host's static shared-memory regions match the YAML manifests in /etc/sshm.d.",
        usage: """
            sshm-reconcile <subcommand> [<options>]
              or: sshm-reconcile --once [<options>] (the same as apply, for cron and systemd timers)
            """,
        discussion: """
            Operators declare regions in /etc/sshm.d/*.yaml. sshm-reconcile compares them with the \
            /libxl/static_shm records in xenstore and maps, repairs or rolls back until the host matches. \
            Run it once (`sshm-reconcile --once`, from cron or a systemd timer) or as a daemon woken by xenstore \
            watches.

            Options go after the subcommand (or after --once). XENSTORED_PATH selects the xenstore socket, as for \
            every libxenstore tool. Files: /etc/sshm.d/*.yaml (manifests, owned by root and writable only by it); \
            /run/sshm-reconcile (the lock shared by apply and the daemon, region conditions, simulated state).

            Exit codes, the first that applies: 64 usage error; 69 xenstore or the hypervisor unavailable; \
            75 temporary (the lock is held or xenstore retries ran out: try again); 65 a manifest is invalid \
            (the valid ones are still applied); 1 a region is Failed or Degraded; 2 changes pending \
            (plan --detailed-exitcode); 0 otherwise. Pending regions (waiting for a domain) are not failures. \
            `wait` exits 0 when in place, 1 for a Failed region, 75 at its timeout, 64 for an unknown name, 65 for a \
            Frozen region.
            """,
        version: Version.current,
        subcommands: [
            Validate.self, PlanCommand.self, ApplyCommand.self, StatusCommand.self, WaitCommand.self,
            DaemonCommand.self, ImportXL.self,
            ExportCommand.self, SelftestCommand.self, SimulateEvtchnCommand.self, OnceCommand.self,
        ],
        defaultSubcommand: OnceCommand.self
    )
}
