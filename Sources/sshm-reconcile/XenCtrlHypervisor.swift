import Logging
import SSHMCore
import SSHMReconcile
import SSHMXen

/// Opens the libxenctrl adapter (its ``EventChannels`` side too: `xc_evtchn_status`).
/// - Throws: ``HypervisorError`` with code `.unavailable` (exit 69) and what to check, on a host without Xen.
func openXenCtrl(logger: Logger) throws -> any Hypervisor {
    try LibXenCtrl.open(logger: logger)
}

/// Opens dom0's own event channels (libxenevtchn), for `selftest hypervisor`.
func openXenEvtchn(logger: Logger) throws -> any EventChannelGuest {
    try LibXenEvtchn.open(domain: .dom0, logger: logger)
}
