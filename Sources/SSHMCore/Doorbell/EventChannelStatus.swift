/// What `xc_evtchn_status` says about one domain's event-channel port (docs/guest-view.md, "Doorbell").
package enum EventChannelStatus: Hashable, Sendable {
    case closed
    /// Allocated for `remote` to bind, not bound yet.
    case unbound(remote: DomID)
    /// Bound: the other end is `remote`'s port `remotePort`.
    case interdomain(remote: DomID, remotePort: UInt32)
    /// A channel of another kind: `pirq`, `virq` or `ipi`.
    case other(String)
}
