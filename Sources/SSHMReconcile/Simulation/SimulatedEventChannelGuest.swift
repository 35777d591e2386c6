import SSHMCore

/// A simulated domain's own event-channel calls, on the ``SimulatedHypervisor``'s ports.
package final class SimulatedEventChannelGuest: EventChannelGuest {
    package let domain: DomID
    private let hypervisor: SimulatedHypervisor

    package init(_ hypervisor: SimulatedHypervisor, domain: DomID) {
        self.hypervisor = hypervisor
        self.domain = domain
    }

    package func allocateUnbound(remote: DomID) throws -> UInt32 {
        try hypervisor.allocateUnboundEventChannel(domain: domain, remote: remote)
    }

    package func bindInterdomain(remote: DomID, remotePort: UInt32) throws -> UInt32 {
        try hypervisor.bindInterdomainEventChannel(domain: domain, remote: remote, remotePort: remotePort)
    }

    package func close(port: UInt32) throws {
        try hypervisor.closeEventChannel(domain: domain, port: port)
    }
}
