import Logging
import SSHMReconcile
import SSHMXen

/// Opens the libxenctrl adapter.
/// - Throws: ``HypervisorError`` with code `.unavailable` (exit 69) and what to check, on a host without Xen.
func openXenCtrl(logger: Logger) throws -> any Hypervisor {
    try LibXenCtrl.open(logger: logger)
}
