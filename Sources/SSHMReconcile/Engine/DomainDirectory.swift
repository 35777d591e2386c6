import SSHMCore

/// Builds the planner's view of the domains: identities from the hypervisor, names from xenstore.
package enum DomainDirectory {
    /// Longest name accepted from `/local/domain/<domid>/name`; xl limits names far below this.
    static let maxNameLength = 256

    package static func read(hypervisor: any Hypervisor, store: any XenStore) throws -> DomainTable {
        var domains: [Domain] = []
        for info in try hypervisor.listDomains() {
            let name = try store.read(XenStorePath("/local/domain/\(info.domid)/name"), in: nil)
            domains.append(
                Domain(domid: info.domid, uuid: info.uuid, name: name.flatMap(sanitized), isRunning: info.isRunning))
        }
        return DomainTable(domains)
    }

    /// A name is data a toolstack wrote, but treat it as hostile anyway: bounded and printable, or none.
    static func sanitized(_ name: String) -> String? {
        guard !name.isEmpty, name.utf8.count <= maxNameLength,
            name.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
        else { return nil }
        return name
    }
}
