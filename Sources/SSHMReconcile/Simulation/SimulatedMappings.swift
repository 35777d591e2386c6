import SSHMCore

/// Which owner frame a borrower frame shows.
package struct SimulatedPage: Hashable, Sendable {
    package var owner: DomID
    package var ownerGFN: UInt64

    package init(owner: DomID, ownerGFN: UInt64) {
        self.owner = owner
        self.ownerGFN = ownerGFN
    }
}

/// A domain instance: a domid is reused by other domains over time, the UUID tells them apart.
package struct DomainKey: Hashable, Comparable, Sendable {
    package var domid: DomID
    package var uuid: DomainUUID

    package init(domid: DomID, uuid: DomainUUID) {
        self.domid = domid
        self.uuid = uuid
    }

    package static func < (lhs: DomainKey, rhs: DomainKey) -> Bool { (lhs.domid, lhs.uuid) < (rhs.domid, rhs.uuid) }
}

/// The simulated hypervisor's memory of foreign mappings: borrower frame → owner frame, per borrower domain.
package struct SimulatedMappings: Hashable, Sendable {
    package private(set) var borrowers: [DomainKey: [UInt64: SimulatedPage]] = [:]

    package init() {}

    /// Maps `count` frames (a mapping over an existing one replaces it, as Xen does).
    package mutating func map(_ borrower: DomainKey, gfn: UInt64, count: UInt64, owner: DomID, ownerGFN: UInt64) {
        // Through the defaulting subscript the borrower's table is changed in place, never copied.
        for index in 0..<count {
            borrowers[borrower, default: [:]][gfn + index] = SimulatedPage(owner: owner, ownerGFN: ownerGFN + index)
        }
    }

    /// Unmaps one frame. Returns `false` when it was not mapped.
    @discardableResult
    package mutating func unmap(_ borrower: DomainKey, gfn: UInt64) -> Bool {
        guard borrowers[borrower]?.removeValue(forKey: gfn) != nil else { return false }
        if borrowers[borrower]?.isEmpty == true { borrowers[borrower] = nil }
        return true
    }

    package func page(_ borrower: DomainKey, gfn: UInt64) -> SimulatedPage? { borrowers[borrower]?[gfn] }

    /// Every mapped frame of a borrower, in order.
    package func pages(of borrower: DomainKey) -> [(gfn: UInt64, page: SimulatedPage)] {
        (borrowers[borrower] ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Drops what dead domains held: their memory is gone.
    package mutating func forget(allBut alive: Set<DomainKey>) {
        borrowers = borrowers.filter { alive.contains($0.key) }
    }

    /// Runs of consecutive frames with consecutive owner frames, for a compact snapshot.
    package func extents(of borrower: DomainKey) -> [(gfn: UInt64, count: UInt64, page: SimulatedPage)] {
        var result: [(gfn: UInt64, count: UInt64, page: SimulatedPage)] = []
        for (gfn, page) in pages(of: borrower) {
            if let last = result.last, last.gfn + last.count == gfn, last.page.owner == page.owner,
                last.page.ownerGFN + last.count == page.ownerGFN
            {
                result[result.count - 1].count += 1
            } else {
                result.append((gfn, 1, page))
            }
        }
        return result
    }

    package var totalPages: Int { borrowers.values.reduce(0) { $0 + $1.count } }
}
