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
