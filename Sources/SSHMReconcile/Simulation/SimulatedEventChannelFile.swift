import SSHMCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// The simulated event channels on disk, beside the simulator's state file: simulated guests (other processes:
/// `sshm-reconcile simulate-evtchn`) change them while the daemon reads them, so every operation reads the file
/// afresh under `flock` on `PATH.lock`, and writes it back (write + rename) when it changed.
///
/// `PATH` holds `{"version":1,"domains":[{"domid","uuid","ports":[{"port","state","remote"?,"remotePort"?}]}]}`,
/// `state` being `closed`, `unbound` or `interdomain`.
package struct SimulatedEventChannelFile: Sendable {
    package let path: String

    /// The event channels of the simulator whose state file is `stateFile`.
    package init(stateFile: String) { path = stateFile + ".evtchn" }

    /// Runs `body` on the table as it is on disk, holding the lock, and writes the table back when `body` changed
    /// it, also when it then threw.
    package func update<T>(_ body: (inout SimulatedEventChannelTable) throws -> T) throws -> T {
        let fd = try SimulatorStateFile.open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC)
        defer { close(fd) }
        let outcome = try SimulatorStateFile.locked(fd, path: path + ".lock", LOCK_EX) {
            () throws(HypervisorError) -> Result<T, any Error> in
            let before = try Self.read(path: path)
            var table = before
            let outcome = Result { try body(&table) }
            if table != before { try write(table) }
            return outcome
        }
        return try outcome.get()
    }

    /// The table as it is on disk; empty when the file does not exist yet.
    package static func read(path: String) throws(HypervisorError) -> SimulatedEventChannelTable {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else {
            return SimulatedEventChannelTable()
        }
        guard let snapshot = try? JSONDecoder().decode(Snapshot.self, from: data), snapshot.version == 1 else {
            throw SimulatorStateFile.failure(
                "\(path) is not a simulator event-channel file; move it away to start from nothing", EINVAL)
        }
        var domains: [DomainKey: [UInt32: SimulatedEventChannelTable.Port]] = [:]
        for domain in snapshot.domains {
            guard let domid = DomID(domain.domid), let uuid = DomainUUID(domain.uuid) else { continue }
            var ports: [UInt32: SimulatedEventChannelTable.Port] = [:]
            for port in domain.ports {
                switch (port.state, port.remote.flatMap(DomID.init), port.remotePort) {
                case ("closed", _, _): ports[port.port] = .closed
                case ("unbound", let remote?, _): ports[port.port] = .unbound(remote: remote)
                case ("interdomain", let remote?, let remotePort?):
                    ports[port.port] = .interdomain(remote: remote, remotePort: remotePort)
                default: continue
                }
            }
            domains[DomainKey(domid: domid, uuid: uuid)] = ports
        }
        return SimulatedEventChannelTable(domains: domains)
    }

    private func write(_ table: SimulatedEventChannelTable) throws(HypervisorError) {
        let snapshot = Snapshot(
            version: 1,
            domains: table.domains.keys.sorted().map { key in
                Snapshot.Domain(
                    domid: key.domid.rawValue, uuid: key.uuid.rawValue,
                    ports: (table.domains[key] ?? [:]).sorted { $0.key < $1.key }.map { port, state in
                        switch state {
                        case .closed: Snapshot.Port(port: port, state: "closed")
                        case .unbound(let remote): Snapshot.Port(port: port, state: "unbound", remote: remote.rawValue)
                        case .interdomain(let remote, let remotePort):
                            Snapshot.Port(
                                port: port, state: "interdomain", remote: remote.rawValue, remotePort: remotePort)
                        }
                    })
            })
        try SimulatorStateFile.write(snapshot, to: path)
    }

    private struct Snapshot: Codable {
        struct Port: Codable {
            var port: UInt32
            var state: String
            var remote: UInt32?
            var remotePort: UInt32?
        }
        struct Domain: Codable {
            var domid: UInt32
            var uuid: String
            var ports: [Port]
        }
        var version: Int
        var domains: [Domain]
    }
}
