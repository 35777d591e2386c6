import SSHMCore

#if canImport(Glibc)
    import Glibc
#endif

/// Event channels of the simulated domains, as Xen keeps them: `eventChannelStatus` is dom0's view
/// (`xc_evtchn_status`), the other three are what a guest does with its own ports (libxenevtchn), for the tests' and
/// the demo's simulated guests (`sshm-reconcile simulate-evtchn`).
///
/// Every call first closes the ports of each domain that died (no longer listed by ``readDomains(_:)``, or listed
/// with another UUID), as Xen does when it destroys a domain, so that no process acts on a dead domain's ports.
extension SimulatedHypervisor {
    package func eventChannelStatus(domain: DomID, port: UInt32) throws -> EventChannelStatus {
        try withEventChannels(domain, operation: "xc_evtchn_status", port: port) { table, key, _ in
            try table.status(key, port: port)
        }
    }

    /// `xenevtchn_bind_unbound_port` in `domain`: a new port that `remote` may bind.
    package func allocateUnboundEventChannel(domain: DomID, remote: DomID) throws -> UInt32 {
        try withEventChannels(domain, operation: "xenevtchn_bind_unbound_port") { table, key, _ in
            try table.allocateUnbound(key, remote: remote)
        }
    }

    /// `xenevtchn_bind_interdomain` in `domain`: binds a new port to `remote`'s `remotePort`.
    package func bindInterdomainEventChannel(domain: DomID, remote: DomID, remotePort: UInt32) throws -> UInt32 {
        let operation = "xenevtchn_bind_interdomain"
        return try withEventChannels(domain, operation: operation) { table, key, alive in
            guard let remoteKey = alive.first(where: { $0.domid == remote }) else {
                throw HypervisorError(operation: operation, errno: ESRCH, domain: remote, port: remotePort)
            }
            return try table.bindInterdomain(key, remote: remoteKey, remotePort: remotePort)
        }
    }

    /// `xenevtchn_unbind` in `domain`: closes `port`.
    package func closeEventChannel(domain: DomID, port: UInt32) throws {
        try withEventChannels(domain, operation: "xenevtchn_unbind", port: port) { table, key, _ in
            try table.close(key, port: port)
        }
    }

    /// Runs `body` on the event channels, with the dead domains' ports closed, `domain`'s key and the live domains.
    /// - Throws: ``HypervisorError`` ESRCH when `domain` is not alive.
    private func withEventChannels<T>(
        _ domain: DomID, operation: String, port: UInt32? = nil,
        _ body: (inout SimulatedEventChannelTable, DomainKey, Set<DomainKey>) throws -> T
    ) throws -> T {
        try eventChannelFile.update { table in
            let alive = Set(try Self.readDomains(store).map { DomainKey(domid: $0.domid, uuid: $0.uuid) })
            table.reap(alive: alive)
            guard let key = alive.first(where: { $0.domid == domain }) else {
                throw HypervisorError(operation: operation, errno: ESRCH, domain: domain, port: port)
            }
            return try body(&table, key, alive)
        }
    }
}
