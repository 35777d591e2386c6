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

/// A run of consecutive borrower frames showing consecutive frames of one owner.
package struct SimulatedExtent: Hashable, Sendable {
    package var gfn: UInt64
    package var count: UInt64
    /// What the first frame shows; frame `gfn + i` shows `page.ownerGFN + i`.
    package var page: SimulatedPage

    package init(gfn: UInt64, count: UInt64, page: SimulatedPage) {
        self.gfn = gfn
        self.count = count
        self.page = page
    }

    var end: UInt64 { gfn + count }

    /// The part of this extent inside `range`, if any.
    func clamped(to range: Range<UInt64>) -> SimulatedExtent? {
        let lower = max(gfn, range.lowerBound)
        let upper = min(end, range.upperBound)
        guard lower < upper else { return nil }
        return SimulatedExtent(
            gfn: lower, count: upper - lower,
            page: SimulatedPage(owner: page.owner, ownerGFN: page.ownerGFN + lower - gfn))
    }

    /// Whether `next` continues this extent: adjacent frames showing adjacent frames of the same owner.
    func isContinued(by next: SimulatedExtent) -> Bool {
        end == next.gfn && page.owner == next.page.owner && page.ownerGFN + count == next.page.ownerGFN
    }
}

/// The simulated hypervisor's memory of foreign mappings: per borrower domain, the runs of borrower frames mapped
/// and the owner frames they show.
///
/// Kept as ranges, so that mapping and unmapping cost the number of runs they touch, not the number of pages: a
/// 512 MiB region is 131,072 pages but one extent. Each borrower's extents are sorted, disjoint and maximal
/// (neighbours that continue each other are merged), so that equal mappings compare equal.
package struct SimulatedMappings: Hashable, Sendable {
    package private(set) var borrowers: [DomainKey: [SimulatedExtent]] = [:]

    package init() {}

    /// Maps `count` frames (a mapping over an existing one replaces it, as Xen does).
    package mutating func map(_ borrower: DomainKey, gfn: UInt64, count: UInt64, owner: DomID, ownerGFN: UInt64) {
        guard count > 0 else { return }
        // Taken out of the dictionary, the borrower's extents are changed in place, never copied.
        var extents = borrowers.removeValue(forKey: borrower) ?? []
        let index = Self.cut(gfn..<(gfn + count), from: &extents)
        let page = SimulatedPage(owner: owner, ownerGFN: ownerGFN)
        extents.insert(SimulatedExtent(gfn: gfn, count: count, page: page), at: index)
        Self.merge(&extents, around: index)
        borrowers[borrower] = extents
    }

    /// Unmaps the frames of `range`. Returns how many of them were mapped.
    @discardableResult
    package mutating func unmap(_ borrower: DomainKey, _ range: Range<UInt64>) -> UInt64 {
        guard !range.isEmpty, var extents = borrowers.removeValue(forKey: borrower) else { return 0 }
        let before = extents.reduce(0) { $0 + $1.count }
        Self.cut(range, from: &extents)
        let after = extents.reduce(0) { $0 + $1.count }
        if !extents.isEmpty { borrowers[borrower] = extents }
        return before - after
    }

    /// Unmaps one frame. Returns `false` when it was not mapped.
    @discardableResult
    package mutating func unmap(_ borrower: DomainKey, gfn: UInt64) -> Bool { unmap(borrower, gfn..<(gfn + 1)) == 1 }

    package func page(_ borrower: DomainKey, gfn: UInt64) -> SimulatedPage? {
        guard let extents = borrowers[borrower] else { return nil }
        let index = Self.firstEnding(after: gfn, in: extents)
        guard index < extents.count, extents[index].gfn <= gfn else { return nil }
        return SimulatedPage(
            owner: extents[index].page.owner, ownerGFN: extents[index].page.ownerGFN + gfn - extents[index].gfn)
    }

    /// Every mapped frame of a borrower, in order (for tests: one entry per page).
    package func pages(of borrower: DomainKey) -> [(gfn: UInt64, page: SimulatedPage)] {
        extents(of: borrower).flatMap { extent in
            (0..<extent.count).map {
                (extent.gfn + $0, SimulatedPage(owner: extent.page.owner, ownerGFN: extent.page.ownerGFN + $0))
            }
        }
    }

    /// Drops what dead domains held: their memory is gone.
    package mutating func forget(allBut alive: Set<DomainKey>) {
        borrowers = borrowers.filter { alive.contains($0.key) }
    }

    /// Runs of consecutive frames with consecutive owner frames, in order.
    package func extents(of borrower: DomainKey) -> [SimulatedExtent] { borrowers[borrower] ?? [] }

    /// How many frames of `borrower` are mapped.
    package func pageCount(of borrower: DomainKey) -> UInt64 { extents(of: borrower).reduce(0) { $0 + $1.count } }

    /// How many frames of `range` are mapped into `borrower`.
    package func pageCount(of borrower: DomainKey, in range: Range<UInt64>) -> UInt64 {
        let extents = extents(of: borrower)
        var count: UInt64 = 0
        var index = Self.firstEnding(after: range.lowerBound, in: extents)
        while index < extents.count, let part = extents[index].clamped(to: range) {
            count += part.count
            index += 1
        }
        return count
    }

    package var totalPages: Int { borrowers.keys.reduce(0) { $0 + Int(pageCount(of: $1)) } }

    /// The index of the first extent that ends after `gfn` (binary search).
    private static func firstEnding(after gfn: UInt64, in extents: [SimulatedExtent]) -> Int {
        var low = 0
        var high = extents.count
        while low < high {
            let middle = (low + high) / 2
            if extents[middle].end <= gfn { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Cuts `range` out of `extents`, keeping the parts of extents outside it.
    /// - Returns: where an extent covering `range` would now be inserted.
    @discardableResult
    private static func cut(_ range: Range<UInt64>, from extents: inout [SimulatedExtent]) -> Int {
        let start = firstEnding(after: range.lowerBound, in: extents)
        var end = start
        while end < extents.count, extents[end].gfn < range.upperBound { end += 1 }
        guard start < end else { return start }
        let first = extents[start]
        let last = extents[end - 1]
        let left = first.gfn < range.lowerBound ? first.clamped(to: first.gfn..<range.lowerBound) : nil
        let right = range.upperBound < last.end ? last.clamped(to: range.upperBound..<last.end) : nil
        extents.replaceSubrange(start..<end, with: [left, right].compactMap { $0 })
        return left == nil ? start : start + 1
    }

    /// Merges the extent at `index` with its neighbours where they continue each other.
    private static func merge(_ extents: inout [SimulatedExtent], around index: Int) {
        var index = index
        if index + 1 < extents.count, extents[index].isContinued(by: extents[index + 1]) {
            extents[index].count += extents[index + 1].count
            extents.remove(at: index + 1)
        }
        if index > 0, extents[index - 1].isContinued(by: extents[index]) {
            extents[index - 1].count += extents[index].count
            extents.remove(at: index)
            index -= 1
        }
    }
}
