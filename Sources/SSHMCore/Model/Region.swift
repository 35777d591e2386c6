/// Where something was written: a file and a 1-based line and column.
package struct SourceLocation: Hashable, Comparable, Sendable, CustomStringConvertible {
    package var file: String
    package var line: Int
    package var column: Int

    package init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    package var description: String { "\(file):\(line):\(column)" }

    package static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}

/// The owner side of a validated region: every default already applied.
package struct OwnerSpec: Hashable, Sendable {
    package var domain: DomainRef
    package var begin: GuestAddress
    package var size: ByteSize
    package var prot: Prot
    package var cachePolicy: CachePolicy

    package init(domain: DomainRef, begin: GuestAddress, size: ByteSize, prot: Prot, cachePolicy: CachePolicy) {
        self.domain = domain
        self.begin = begin
        self.size = size
        self.prot = prot
        self.cachePolicy = cachePolicy
    }
}

/// One borrower of a validated region: every default already applied (`offset` 0, `size` = owner size - offset,
/// `prot` = owner's).
package struct BorrowerSpec: Hashable, Sendable {
    package var domain: DomainRef
    package var begin: GuestAddress
    package var offset: Offset
    package var size: ByteSize
    package var prot: Prot
    /// Whether this borrower and the owner get a doorbell (an event channel they meet through their views): the
    /// borrower's `doorbell:` if written, else the region's.
    package var doorbell: Bool

    package init(
        domain: DomainRef, begin: GuestAddress, offset: Offset, size: ByteSize, prot: Prot, doorbell: Bool = false
    ) {
        self.domain = domain
        self.begin = begin
        self.offset = offset
        self.size = size
        self.prot = prot
        self.doorbell = doorbell
    }
}

/// A validated shared-memory region as an operator declared it.
package struct Region: Hashable, Sendable {
    package var id: RegionID
    package var owner: OwnerSpec
    package var borrowers: [BorrowerSpec]
    /// Where the region's `id` was written; `location.file` is the region's `source` for freezing and pruning.
    package var location: SourceLocation

    package init(id: RegionID, owner: OwnerSpec, borrowers: [BorrowerSpec], location: SourceLocation) {
        self.id = id
        self.owner = owner
        self.borrowers = borrowers
        self.location = location
    }

    /// The file the region came from.
    package var source: String { location.file }
}
