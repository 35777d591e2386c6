import SSHMCore

extension DomainDirectory {
    /// The names xenstore gives the domains under `/local/domain`, without asking the hypervisor: what `export`
    /// needs to relate a manifest's name to a domid, on a host whose hypervisor it has no reason to open.
    ///
    /// Entries that are not a domid, and names that are empty, too long or unprintable, are left out.
    package static func names(store: any XenStore) throws -> DomainNames {
        // Listed on a throwaway handle: with many domains the listing can pass the 4096 bytes oxenstored drops
        // a connection over.
        let children = try store.directoryOnThrowawayHandle(XenStorePath("/local/domain")) ?? []
        let domids = children.compactMap { DomID(decimal: $0) }
        let answers = try store.readMany(domids.map { .read(XenStorePath("/local/domain/\($0)/name")) })
        var names: [DomID: String] = [:]
        for (domid, answer) in zip(domids, answers) {
            if let name = answer.value.flatMap(sanitized) { names[domid] = name }
        }
        return DomainNames(names)
    }
}
