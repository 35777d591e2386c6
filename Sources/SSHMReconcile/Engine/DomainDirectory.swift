import SSHMCore

/// Builds the planner's view of the domains: identities from the hypervisor, names from xenstore.
package enum DomainDirectory {
    /// Longest name accepted from `/local/domain/<domid>/name`; xl limits names far below this.
    static let maxNameLength = 256

    /// - Parameter known: a previous reading: a domain still there with the same UUID keeps its name without a
    ///   read (the daemon's rescans on every domain event; a rename is picked up by its periodic full read).
    package static func read(
        hypervisor: any Hypervisor, store: any XenStore, known: DomainTable? = nil
    ) throws -> DomainTable {
        let infos = try hypervisor.listDomains()
        var names: [DomID: String] = [:]
        var unnamed: [DomID] = []
        for info in infos {
            if let previous = known?.domain(info.domid), previous.uuid == info.uuid, previous.name != nil {
                names[info.domid] = previous.name
            } else {
                unnamed.append(info.domid)
            }
        }
        let answers = try store.readMany(unnamed.map { .read(XenStorePath("/local/domain/\($0)/name")) })
        for (domid, answer) in zip(unnamed, answers) { names[domid] = answer.value.flatMap(sanitized) }
        return DomainTable(
            infos.map { Domain(domid: $0.domid, uuid: $0.uuid, name: names[$0.domid], isRunning: $0.isRunning) })
    }

    /// A name is data a toolstack wrote, but treat it as hostile anyway: bounded and printable, or none.
    static func sanitized(_ name: String) -> String? {
        guard !name.isEmpty, name.utf8.count <= maxNameLength,
            name.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
        else { return nil }
        return name
    }
}
