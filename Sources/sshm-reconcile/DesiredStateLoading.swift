import Logging
import SSHMCore
import SSHMReconcile

extension HostOptions {
    /// Reads and validates the config dir as `plan`, `apply`, `status` and the daemon do (ownership enforced, for
    /// this host's architecture), printing every diagnostic to stderr unless told not to.
    func loadDesiredState(printDiagnostics: Bool = true) -> DesiredState {
        let desired = ConfigDirectory.load(
            Self.absolute(configDir), arch: .host, archIsKnown: true, requireSecureOwnership: true)
        if printDiagnostics { Output.diagnostics(desired.diagnostics) }
        return desired
    }

    /// The same for the daemon: each diagnostic goes to the log at its severity (so that journald files errors as
    /// errors), with the file as metadata.
    func loadDesiredState(logger: Logger) -> DesiredState {
        let desired = loadDesiredState(printDiagnostics: false)
        for diagnostic in desired.diagnostics {
            let metadata: Logger.Metadata = ["file": "\(diagnostic.file ?? configDir)"]
            switch diagnostic.severity {
            case .error: logger.error("\(diagnostic)", metadata: metadata)
            case .warning: logger.warning("\(diagnostic)", metadata: metadata)
            case .note: logger.notice("\(diagnostic)", metadata: metadata)
            }
        }
        return desired
    }
}
