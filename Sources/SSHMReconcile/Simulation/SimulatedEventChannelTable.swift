import SSHMCore

#if canImport(Glibc)
    import Glibc
#endif

/// Every simulated domain's event-channel ports, with Xen 4.17's rules for allocating, binding and closing them
/// (`xen/common/event_channel.c`): the simulator's part of the doorbell (docs/design.md, "Ports and the simulated
/// hypervisor"). A pure value; ``SimulatedEventChannelFile`` keeps it on disk.
package struct SimulatedEventChannelTable: Hashable, Sendable {
    /// One port's state. A closed port stays listed, so that its status reads `closed` like a freed port below Xen's
    /// `valid_evtchns`; a port never allocated is not listed and reads EINVAL.
    package enum Port: Hashable, Sendable {
        case closed
        case unbound(remote: DomID)
        case interdomain(remote: DomID, remotePort: UInt32)
    }

    /// Xen's FIFO ABI limit (2^17 − 1): `get_free_port` answers ENOSPC beyond it.
    package static let maxPort: UInt32 = 131_071

    package private(set) var domains: [DomainKey: [UInt32: Port]] = [:]

    package init() {}

    /// A table read back from disk: the ports as given, nothing checked (the file is the simulator's own).
    package init(domains: [DomainKey: [UInt32: Port]]) { self.domains = domains }

    /// Closes every port of each domain not in `alive` (gone, or its domid now names a domain with another UUID) and
    /// forgets the domain, as Xen's `evtchn_destroy` does: a peer bound to one of its ports becomes unbound for it.
    /// - Returns: whether anything changed.
    @discardableResult
    package mutating func reap(alive: Set<DomainKey>) -> Bool {
        let dead = domains.filter { !alive.contains($0.key) }
        // Forget every dead domain first, so that a peer is looked up among the live ones only (a dead domid may
        // already be listed again under a new UUID).
        for key in dead.keys { domains[key] = nil }
        for (key, ports) in dead {
            for (port, state) in ports {
                if case .interdomain(let remote, let remotePort) = state {
                    unbindPeer(remote: remote, remotePort: remotePort, closer: key.domid, closerPort: port)
                }
            }
        }
        return !dead.isEmpty
    }

    /// `EVTCHNOP_status`. Port 0 is Xen's reserved port: it exists in every domain and reads closed.
    package func status(_ domain: DomainKey, port: UInt32) throws(HypervisorError) -> EventChannelStatus {
        if port == 0 { return .closed }
        switch domains[domain]?[port] {
        case nil: throw Self.error("xc_evtchn_status", EINVAL, domain, port)
        case .closed: return .closed
        case .unbound(let remote): return .unbound(remote: remote)
        case .interdomain(let remote, let remotePort): return .interdomain(remote: remote, remotePort: remotePort)
        }
    }

    /// `EVTCHNOP_alloc_unbound`: the lowest free port of `domain`, unbound for `remote` (which need not exist).
    package mutating func allocateUnbound(_ domain: DomainKey, remote: DomID) throws(HypervisorError) -> UInt32 {
        let port = try freePort(domain, operation: "xenevtchn_bind_unbound_port")
        domains[domain, default: [:]][port] = .unbound(remote: remote)
        return port
    }

    /// `EVTCHNOP_bind_interdomain`: binds a new port of `domain` to `remote`'s port `remotePort`, which must be
    /// unbound for `domain` (EINVAL otherwise); both ends become interdomain.
    package mutating func bindInterdomain(_ domain: DomainKey, remote: DomainKey, remotePort: UInt32)
        throws(HypervisorError) -> UInt32
    {
        let operation = "xenevtchn_bind_interdomain"
        guard domains[remote]?[remotePort] == .unbound(remote: domain.domid) else {
            throw Self.error(operation, EINVAL, remote, remotePort)
        }
        let port = try freePort(domain, operation: operation)
        domains[domain, default: [:]][port] = .interdomain(remote: remote.domid, remotePort: remotePort)
        domains[remote, default: [:]][remotePort] = .interdomain(remote: domain.domid, remotePort: port)
        return port
    }

    /// `EVTCHNOP_close`: the port becomes closed; an interdomain peer becomes unbound for `domain`. Closing a port
    /// that is closed or was never allocated fails with EINVAL, as on Xen.
    package mutating func close(_ domain: DomainKey, port: UInt32) throws(HypervisorError) {
        guard let state = domains[domain]?[port], state != .closed else {
            throw Self.error("xenevtchn_unbind", EINVAL, domain, port)
        }
        if case .interdomain(let remote, let remotePort) = state {
            unbindPeer(remote: remote, remotePort: remotePort, closer: domain.domid, closerPort: port)
        }
        domains[domain]?[port] = .closed
    }

    /// The peer end of a closed interdomain channel waits for the closer again (Xen's `evtchn_close`).
    private mutating func unbindPeer(remote: DomID, remotePort: UInt32, closer: DomID, closerPort: UInt32) {
        guard let peer = domains.keys.first(where: { $0.domid == remote }),
            domains[peer]?[remotePort] == .interdomain(remote: closer, remotePort: closerPort)
        else { return }
        domains[peer]?[remotePort] = .unbound(remote: closer)
    }

    /// The lowest port ≥ 1 that is not allocated (a closed port is free again).
    private func freePort(_ domain: DomainKey, operation: String) throws(HypervisorError) -> UInt32 {
        let ports = domains[domain] ?? [:]
        var port: UInt32 = 1
        while let state = ports[port], state != .closed {
            port += 1
        }
        guard port <= Self.maxPort else { throw Self.error(operation, ENOSPC, domain, nil) }
        return port
    }

    static func error(_ operation: String, _ errno: Int32, _ domain: DomainKey, _ port: UInt32?) -> HypervisorError {
        HypervisorError(operation: operation, errno: errno, domain: domain.domid, port: port)
    }
}
