import SSHMCore

/// Terse builders for model values in tests. They trap on invalid literals: tests only.
package enum Build {
    package static func id(_ text: String) -> RegionID {
        guard let id = RegionID(text) else { preconditionFailure("bad region id \(text)") }
        return id
    }

    package static func domid(_ value: UInt32) -> DomID {
        guard let id = DomID(value) else { preconditionFailure("bad domid \(value)") }
        return id
    }

    package static func address(_ value: UInt64) -> GuestAddress {
        guard let address = GuestAddress(value) else { preconditionFailure("unaligned address \(value)") }
        return address
    }

    package static func size(_ value: UInt64) -> ByteSize {
        guard let size = ByteSize(value) else { preconditionFailure("bad size \(value)") }
        return size
    }

    package static func offset(_ value: UInt64) -> Offset {
        guard let offset = Offset(value) else { preconditionFailure("bad offset \(value)") }
        return offset
    }

    /// A UUID whose last group is `n` in hex, e.g. `uuid(5)` = `00000000-0000-0000-0000-000000000005`.
    package static func uuid(_ n: UInt64) -> DomainUUID {
        let hex = String(n, radix: 16)
        let text = "00000000-0000-0000-0000-" + String(repeating: "0", count: 12 - hex.count) + hex
        guard let uuid = DomainUUID(text) else { preconditionFailure("bad uuid \(text)") }
        return uuid
    }

    /// A running domain `name` with domid `domid` and UUID `uuid(uuidSeed ?? domid)`.
    package static func domain(_ name: String, _ domid: UInt32, uuid uuidSeed: UInt64? = nil) -> Domain {
        Domain(domid: Self.domid(domid), uuid: uuid(uuidSeed ?? UInt64(domid)), name: name)
    }

    /// A region owned by `owner` at `begin` with `size`, borrowed by `borrowers` (name, begin) with defaults applied.
    package static func region(
        _ id: String, owner: String, begin: UInt64 = 0x7FE0_0000, size: UInt64 = 0x20_0000, prot: Prot = .rw,
        borrowers: [(String, UInt64)], source: String = "/etc/sshm.d/10-test.yaml", line: Int = 3
    ) -> Region {
        Region(
            id: Self.id(id),
            owner: OwnerSpec(
                domain: .name(owner), begin: address(begin), size: Self.size(size), prot: prot,
                cachePolicy: .x86Normal),
            borrowers: borrowers.map { name, borrowerBegin in
                BorrowerSpec(
                    domain: .name(name), begin: address(borrowerBegin), offset: .zero, size: Self.size(size),
                    prot: prot)
            },
            location: SourceLocation(file: source, line: line, column: 7))
    }

    /// The desired state of one valid file holding `regions`.
    package static func desired(_ regions: [Region], file: String = "/etc/sshm.d/10-test.yaml") -> DesiredState {
        DesiredState(files: [ManifestFile(path: file, status: .valid(regions), diagnostics: [])])
    }
}

extension Build {
    /// The views sshm-reconcile leaves beside a converged `record` (docs/guest-view.md), written out by hand.
    package static func views(of record: RegionRecord) -> [RoleNode: ObservedView] {
        func view(_ domid: DomID, _ values: [String: String]) -> (RoleNode, ObservedView) {
            let permissions = "n0,r\(domid.rawValue)"
            var all = Dictionary(uniqueKeysWithValues: values.keys.map { ($0, permissions) })
            all[ObservedView.directoryKey] = permissions
            return (
                RoleNode(domid: domid, id: record.id),
                ObservedView(children: values.keys.sorted(), values: values, permissions: all)
            )
        }
        func hex(_ value: UInt64?) -> String { value.map { RecordValue.hex($0) } ?? "" }
        let owner = record.owner ?? .dom0
        var views: [RoleNode: ObservedView] = [:]
        let borrowers = record.borrowers.values.sorted { $0.domid < $1.domid }
        let ready = borrowers.allSatisfy { $0.state == .mapped || $0.state == nil }
        let (ownerNode, ownerView) = view(
            owner,
            [
                "role": record.dialect.roleValue(.owner), "begin": hex(record.begin?.rawValue),
                "size": hex(record.size?.rawValue), "offset": "0x0", "prot": record.prot?.rawValue ?? "",
                "cache_policy": record.cachePolicy?.rawValue ?? "",
                "peer": borrowers.map { "\($0.domid.rawValue)" }.joined(separator: " "),
                "state": ready ? "ready" : "waiting",
            ])
        views[ownerNode] = ownerView
        for entry in borrowers {
            let (node, view) = view(
                entry.domid,
                [
                    "role": record.dialect.roleValue(.borrower), "begin": hex(entry.begin?.rawValue),
                    "size": hex(entry.size?.rawValue), "offset": hex(entry.offset?.rawValue),
                    "prot": entry.prot?.rawValue ?? "", "cache_policy": record.cachePolicy?.rawValue ?? "",
                    "peer": "\(owner.rawValue)", "state": entry.state?.rawValue ?? "mapped",
                ])
            views[node] = view
        }
        return views
    }
}
