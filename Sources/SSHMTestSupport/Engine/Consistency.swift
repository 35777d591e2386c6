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
        return problems + (try viewProblems(store: store, stateFile: stateFile))
    }

    /// Where a guest view (docs/guest-view.md) says more than the hypervisor holds, or other than its record: a
    /// borrower's `mapped` while a page of its range is not mapped from the owner, a borrower's `state` unlike its
    /// entry's, an owner's `ready` while a borrower is not mapped, a missing view or a node not `n0,r<domid>`. Empty
    /// after any crash as far as `mapped` goes: a guest never reads `mapped` before its pages are there.
    package static func viewProblems(store: any XenStore, stateFile: String) throws -> [String] {
        let actual = try RecordReader(store: store, logger: .quiet).readActual(declared: [])
        let mappings = try SimulatorStateFile.read(path: stateFile)
        let alive = Dictionary(
            uniqueKeysWithValues: try SimulatedHypervisor(store: store, stateFile: stateFile).listDomains().map {
                ($0.domid, $0.uuid)
            })
        var problems: [String] = []
        for record in actual.records.values where record.isManaged {
            guard let owner = record.owner, let begin = record.begin else { continue }
            for domid in record.roleDomids {
                guard let view = actual.views[RoleNode(domid: domid, id: record.id)] else {
                    problems.append("\(record.id)/\(domid): no view")
                    continue
                }
                let wrong = view.permissions.filter { $0.value != GuestView.permissions(of: domid) }.keys.sorted()
                if !wrong.isEmpty { problems.append("\(record.id)/\(domid): permissions of \(wrong)") }
            }
            let ownerState = actual.views[RoleNode(domid: owner, id: record.id)]?.values["state"]
            if ownerState == OwnerViewState.ready.rawValue, record.borrowers.values.contains(where: { !$0.isMapped }) {
                problems.append("\(record.id): the owner's view says ready before every borrower is mapped")
            }
            for entry in record.borrowers.values {
                let state = actual.views[RoleNode(domid: entry.domid, id: record.id)]?.values["state"]
                if state != (entry.state ?? .mapped).rawValue {
                    problems.append(
                        "\(record.id)/\(entry.domid): view state \(state ?? "none"), entry \(entry.state?.rawValue ?? "none")"
                    )
                }
                guard state == BorrowerState.mapped.rawValue else { continue }
                guard let uuid = alive[entry.domid], let frames = entry.frames else {
                    problems.append("\(record.id)/\(entry.domid): view says mapped, the domain or range is unknown")
                    continue
                }
                let first = begin.gfn + (entry.offset?.pages ?? 0)
                for (index, gfn) in frames.enumerated() {
                    let page = mappings.page(DomainKey(domid: entry.domid, uuid: uuid), gfn: gfn)
                    if page?.owner != owner || page?.ownerGFN != first + UInt64(index) {
                        problems.append("\(record.id)/\(entry.domid): view says mapped, gfn \(gfn) is not")
                        break
                    }
                }
            }
        }
        return problems
    }
}

extension EngineHarness {
    /// ``Consistency/problems(store:stateFile:)`` for this harness.
    package func inconsistencies() throws -> [String] {
        try Consistency.problems(store: store, stateFile: stateFile)
    }

    /// ``Consistency/viewProblems(store:stateFile:)`` for this harness.
    package func viewProblems() throws -> [String] {
        try Consistency.viewProblems(store: store, stateFile: stateFile)
    }
}
