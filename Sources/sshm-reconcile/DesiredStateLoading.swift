import SSHMCore

extension HostOptions {
    /// Reads and validates the config dir as `plan`, `apply` and `daemon` do (ownership enforced), printing every
    /// diagnostic to stderr.
    func loadDesiredState(printDiagnostics: Bool = true) -> DesiredState {
        let desired = ConfigDirectory.load(Self.absolute(configDir), arch: arch, requireSecureOwnership: true)
        if printDiagnostics { Output.diagnostics(desired.diagnostics) }
        return desired
    }
}
