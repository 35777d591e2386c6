import SSHMCore

/// The event-channel checks: what `xc_evtchn_status` must report for ports the contract allocates, binds and closes
/// through the environment's ``ContractEnvironment/EventChannelPair``, as Xen 4.17's `xen/common/event_channel.c`
/// defines it.
extension HypervisorContract {
    func checkEventChannels(_ pair: ContractEnvironment.EventChannelPair) -> [ContractResult] {
        let channels = eventChannels
        let (local, remote) = (pair.local, pair.remote)
        let missing = environment.missingDomain
        var results = [
            result("evtchn-status-of-unallocated-port-is-invalid dom\(local.domain)") {
                try expectError(.invalid) {
                    try channels.eventChannelStatus(domain: local.domain, port: pair.unallocatedPort)
                }
            },
            result("evtchn-status-in-missing-domain-is-gone dom\(missing)") {
                try expectError(.domainGone) { try channels.eventChannelStatus(domain: missing, port: 1) }
            },
        ]
        // Each step needs the one before: stop at the first that fails, then close what is still open.
        var open: [(guest: any EventChannelGuest, port: UInt32)] = []
        let pairName = "dom\(local.domain)-dom\(remote.domain)"
        let steps: [(String, () throws -> (Bool, String))] = [
            (
                "evtchn-allocated-port-is-unbound-for-its-remote \(pairName)",
                {
                    let port = try local.allocateUnbound(remote: remote.domain)
                    open.append((local, port))
                    let status = try channels.eventChannelStatus(domain: local.domain, port: port)
                    return (status == .unbound(remote: remote.domain), "dom\(local.domain) port \(port): \(status)")
                }
            ),
            (
                "evtchn-bound-ports-are-interdomain-both-ways \(pairName)",
                {
                    let localPort = open[0].port
                    let port = try remote.bindInterdomain(remote: local.domain, remotePort: localPort)
                    open.append((remote, port))
                    let localStatus = try channels.eventChannelStatus(domain: local.domain, port: localPort)
                    let remoteStatus = try channels.eventChannelStatus(domain: remote.domain, port: port)
                    return (
                        localStatus == .interdomain(remote: remote.domain, remotePort: port)
                            && remoteStatus == .interdomain(remote: local.domain, remotePort: localPort),
                        "dom\(local.domain) port \(localPort): \(localStatus); dom\(remote.domain) port \(port): "
                            + "\(remoteStatus)"
                    )
                }
            ),
            (
                "evtchn-closed-port-is-closed-and-its-peer-unbound-for-the-closer \(pairName)",
                {
                    let (localPort, remotePort) = (open[0].port, open[1].port)
                    try remote.close(port: remotePort)
                    open.removeLast()
                    let closed = try channels.eventChannelStatus(domain: remote.domain, port: remotePort)
                    let peer = try channels.eventChannelStatus(domain: local.domain, port: localPort)
                    try local.close(port: localPort)
                    open.removeLast()
                    let both = try channels.eventChannelStatus(domain: local.domain, port: localPort)
                    return (
                        closed == .closed && peer == .unbound(remote: remote.domain) && both == .closed,
                        "after closing dom\(remote.domain) port \(remotePort): it is \(closed), dom\(local.domain) "
                            + "port \(localPort) is \(peer); after closing that too: \(both)"
                    )
                }
            ),
        ]
        for (name, step) in steps {
            let outcome = result(name, step)
            results.append(outcome)
            if !outcome.passed { break }
        }
        var leftovers: [String] = []
        for (guest, port) in open.reversed() {
            do {
                try guest.close(port: port)
            } catch {
                leftovers.append("dom\(guest.domain) port \(port): \(error)")
            }
        }
        if !leftovers.isEmpty {
            results.append(
                ContractResult(
                    name: "evtchn-ports-closed-after-the-checks", passed: false,
                    detail: leftovers.joined(separator: "; ")))
        }
        return results
    }

    /// Passes when `body` throws a ``HypervisorError`` with `code`.
    private func expectError(_ code: HypervisorError.Code, _ body: () throws -> EventChannelStatus) throws -> (
        Bool, String
    ) {
        do {
            return (false, "answered \(try body())")
        } catch let error as HypervisorError {
            return (error.code == code, "\(error)")
        }
    }
}
