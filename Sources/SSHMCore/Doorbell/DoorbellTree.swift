/// One node of a doorbell subtree as read back: `nil` fields for a node that does not exist.
package struct ObservedNode: Hashable, Sendable {
    package var value: String?
    package var children: [String]
    /// The `xenstore-ls -p` form, `n0,r5,b7`.
    package var permissions: String?

    package init(value: String? = nil, children: [String] = [], permissions: String? = nil) {
        self.value = value
        self.children = children
        self.permissions = permissions
    }

    package var exists: Bool { permissions != nil }
}

/// A change to a doorbell subtree, outside any record transaction (docs/guest-view.md, "Doorbell").
package enum DoorbellChange: Hashable, Sendable {
    /// Writes the value, creating the node; its permissions follow in a ``setPermissions(_:_:)``.
    case write(String, String)
    case setPermissions(String, String)
    case remove(String)
}

/// The nodes of one region's doorbells: under each member's view, `doorbell/<peer>/port`.
package struct DoorbellTree: Hashable, Sendable {
    package var id: RegionID
    package var owner: DomID
    /// The borrowers with a doorbell whose views exist, i.e. whose entry the record holds.
    package var borrowers: [DomID]
    /// The region wants a doorbell for some borrower: the owner keeps its `doorbell/` even while none of them runs,
    /// so that a guest serving doorbells can tell "no borrower yet" from "no doorbell any more".
    package var enabled: Bool

    package init(id: RegionID, owner: DomID, borrowers: [DomID], enabled: Bool? = nil) {
        self.id = id
        self.owner = owner
        self.borrowers = borrowers.sorted()
        self.enabled = enabled ?? !borrowers.isEmpty
    }

    /// `/local/domain/<domid>/static_shm/<id>/doorbell`.
    package static func directory(_ id: RegionID, of domid: DomID) -> String {
        RecordPaths.roleDirectory(domid: domid, id: id) + "/doorbell"
    }

    /// `…/doorbell/<peer>`.
    package static func pairDirectory(_ id: RegionID, of domid: DomID, peer: DomID) -> String {
        directory(id, of: domid) + "/\(peer.rawValue)"
    }

    /// `…/doorbell/<peer>/port`: `domid`'s local port for the pair, written by that guest.
    package static func port(_ id: RegionID, of domid: DomID, peer: DomID) -> String {
        pairDirectory(id, of: domid, peer: peer) + "/port"
    }

    /// Only that guest reads the list of its doorbells.
    package static func directoryPermissions(_ domid: DomID) -> String { "n0,r\(domid.rawValue)" }
    /// The pair reads; nobody but dom0 writes, so neither guest can add nodes beside `port`.
    package static func pairPermissions(_ domid: DomID, peer: DomID) -> String {
        "n0,r\(domid.rawValue),r\(peer.rawValue)"
    }
    /// The guest whose port it is reads and writes it; its peer reads it.
    package static func portPermissions(_ domid: DomID, peer: DomID) -> String {
        "n0,b\(domid.rawValue),r\(peer.rawValue)"
    }

    /// The peers each member has a doorbell with.
    package var peers: [DomID: [DomID]] {
        guard enabled else { return [:] }
        var peers = [owner: borrowers]
        for borrower in borrowers { peers[borrower] = [owner] }
        return peers
    }

    /// The paths to read for `members` (every domain that has or had a view of the region): each member's
    /// directory, and each wanted pair's directory and port.
    package func nodesToRead(members: Set<DomID>) -> [String] {
        var paths: [String] = []
        let peers = self.peers
        for member in members.union(peers.keys).sorted() {
            paths.append(Self.directory(id, of: member))
            for peer in peers[member] ?? [] {
                paths.append(Self.pairDirectory(id, of: member, peer: peer))
                paths.append(Self.port(id, of: member, peer: peer))
            }
        }
        return paths
    }

    /// What to change so that the subtree is exactly as wanted, and each pair's state as the values and the
    /// hypervisor tell it. A broken pair's `port` nodes are emptied.
    /// - Parameters:
    ///   - observed: by path, every node of ``nodesToRead(members:)`` (missing ones absent or not existing).
    ///   - statuses: the owner's published ports' statuses, by port.
    package func plan(
        members: Set<DomID>, observed: [String: ObservedNode], statuses: [UInt32: EventChannelAnswer]
    ) -> (changes: [DoorbellChange], states: [DomID: DoorbellState]) {
        var changes: [DoorbellChange] = []
        let peers = self.peers
        for member in members.union(peers.keys).sorted() {
            let directory = Self.directory(id, of: member)
            let node = observed[directory] ?? ObservedNode()
            guard let wanted = peers[member] else {
                if node.exists { changes.append(.remove(directory)) }
                continue
            }
            ensure(
                directory, node, "", Self.directoryPermissions(member), keeping: Set(wanted.map(\.description)),
                into: &changes)
            for peer in wanted {
                let pair = Self.pairDirectory(id, of: member, peer: peer)
                ensure(
                    pair, observed[pair] ?? ObservedNode(), "", Self.pairPermissions(member, peer: peer),
                    keeping: ["port"], into: &changes)
                let port = Self.port(id, of: member, peer: peer)
                ensure(
                    port, observed[port] ?? ObservedNode(), "", Self.portPermissions(member, peer: peer),
                    keeping: [], into: &changes)
            }
        }
        var states: [DomID: DoorbellState] = [:]
        for borrower in borrowers {
            let ownerPort = Self.port(id, of: owner, peer: borrower)
            let borrowerPort = Self.port(id, of: borrower, peer: owner)
            let ownerValue = observed[ownerPort]?.value ?? ""
            let borrowerValue = observed[borrowerPort]?.value ?? ""
            let state = DoorbellVerdict.state(
                owner: owner, borrower: borrower, ownerValue: ownerValue, borrowerValue: borrowerValue,
                status: DoorbellVerdict.ownerPort(ownerValue).flatMap { statuses[$0] })
            states[borrower] = state
            guard state.isBroken else { continue }
            if !ownerValue.isEmpty { changes.append(.write(ownerPort, "")) }
            if !borrowerValue.isEmpty { changes.append(.write(borrowerPort, "")) }
        }
        return (changes, states)
    }

    /// A node that must exist with `permissions` and no children but `keeping`; created with `value` if missing.
    private func ensure(
        _ path: String, _ node: ObservedNode, _ value: String, _ permissions: String, keeping: Set<String>,
        into changes: inout [DoorbellChange]
    ) {
        guard node.exists else {
            changes += [.write(path, value), .setPermissions(path, permissions)]
            return
        }
        if node.permissions != permissions { changes.append(.setPermissions(path, permissions)) }
        for child in node.children.sorted() where !keeping.contains(child) {
            changes.append(.remove(path + "/" + child))
        }
    }
}
