import Logging
import SSHMReconcile

/// Opens the libxenctrl adapter.
func openXenCtrl(logger: Logger) throws -> any Hypervisor {
    throw HypervisorError(
        code: .unavailable, operation: "xc_interface_open", errno: 38 /* ENOSYS */)
}
