import SSHMCore

/// One domain's calls on its own event-channel ports, as a guest makes them with libxenevtchn: what the
/// ``HypervisorContract`` does to put ports into the states ``EventChannels/eventChannelStatus(domain:port:)`` must
/// report. dom0's own handle on real Xen (`LibXenEvtchn`); any domain on the simulator. The product never makes
/// these calls for a guest: the guests allocate and bind, dom0 only reads (docs/guest-view.md, "Doorbell").
package protocol EventChannelGuest: AnyObject, Sendable {
    /// The domain whose ports these are.
    var domain: DomID { get }

    /// `xenevtchn_bind_unbound_port`: a new port that `remote` may bind.
    func allocateUnbound(remote: DomID) throws -> UInt32

    /// `xenevtchn_bind_interdomain`: a new port bound to `remote`'s `remotePort`, which must be unbound for us.
    func bindInterdomain(remote: DomID, remotePort: UInt32) throws -> UInt32

    /// `xenevtchn_unbind`: closes `port`; an interdomain peer becomes unbound for us.
    func close(port: UInt32) throws
}
