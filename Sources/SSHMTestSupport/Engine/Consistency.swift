import SSHMCore
import SSHMReconcile

/// Whether the records in xenstore and the simulated hypervisor's mappings agree completely.
package enum Consistency {
    /// Every problem found, one phrase each; empty when records and mappings agree: every managed entry is
    /// `mapped`, every page it claims shows the right owner frame, `usercnt` counts the mapped entries, and no live
    /// domain has a mapped page that no record claims.
    package static func problems(store: any XenStore, stateFile: String) throws -> [String] {
        let actual = try RecordReader(store: store, logger: .quiet).readActual(declared: [])
        let mappings = try SimulatorStateFile.read(path: stateFile)
        let domains = try SimulatedHypervisor(store: store, stateFile: stateFile).listDomains()
        let alive = Dictionary(uniqueKeysWithValues: domains.map { ($0.domid, $0.uuid) })
        var problems: [String] = []
        var claimed: [DomainKey: Set<UInt64>] = [:]
        for record in actual.records.values where record.isManaged {
            if record.usercnt != record.expectedUsercnt {
                problems.append("\(record.id): usercnt \(record.usercnt ?? -1), expected \(record.expectedUsercnt)")
            }
            for entry in record.borrowers.values {
                if entry.state != .mapped {
                    problems.append("\(record.id)/\(entry.domid): state \(entry.state?.rawValue ?? "none")")
                }
                guard let uuid = alive[entry.domid], let frames = entry.frames, let begin = record.begin else {
                    continue
                }
                let key = DomainKey(domid: entry.domid, uuid: uuid)
                let offset = entry.offset?.pages ?? 0
                for (index, gfn) in frames.enumerated() {
                    claimed[key, default: []].insert(gfn)
                    let page = mappings.page(key, gfn: gfn)
                    if page?.owner != record.owner || page?.ownerGFN != begin.gfn + offset + UInt64(index) {
                        problems.append("\(record.id)/\(entry.domid): gfn \(gfn) maps \(String(describing: page))")
                    }
                }
            }
        }
        for key in mappings.borrowers.keys.sorted() where alive[key.domid] == key.uuid {
            let claimedMapped = (claimed[key] ?? []).count { mappings.page(key, gfn: $0) != nil }
            let orphans = Int(mappings.pageCount(of: key)) - claimedMapped
            if orphans > 0 { problems.append("dom\(key.domid): \(orphans) mapped pages no record claims") }
        }
        return problems
    }
}

extension EngineHarness {
    /// ``Consistency/problems(store:stateFile:)`` for this harness.
    package func inconsistencies() throws -> [String] {
        try Consistency.problems(store: store, stateFile: stateFile)
    }
}
