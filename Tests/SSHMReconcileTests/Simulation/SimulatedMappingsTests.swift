import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import Testing

/// The simulator's mappings, kept as ranges, against a page-by-page model.
struct SimulatedMappingsTests {
    private static let borrower = DomainKey(domid: Build.domid(5), uuid: .zero)
    private static let owner = Build.domid(1)

    @Test func aLargeRegionIsOneExtent() {
        var mappings = SimulatedMappings()
        mappings.map(Self.borrower, gfn: 0x100000, count: 65535, owner: Self.owner, ownerGFN: 0x7fe00)
        mappings.map(Self.borrower, gfn: 0x100000 + 65535, count: 65537, owner: Self.owner, ownerGFN: 0x7fe00 + 65535)
        #expect(mappings.extents(of: Self.borrower).count == 1, "continuing calls merge")
        #expect(mappings.pageCount(of: Self.borrower) == 131072)
        #expect(mappings.unmap(Self.borrower, 0x100000..<(0x100000 + 131072)) == 131072)
        #expect(mappings.borrowers.isEmpty)
    }

    @Test func unmappingTheMiddleSplitsAnExtent() {
        var mappings = SimulatedMappings()
        mappings.map(Self.borrower, gfn: 100, count: 10, owner: Self.owner, ownerGFN: 1000)
        #expect(mappings.unmap(Self.borrower, 103..<105) == 2)
        #expect(mappings.unmap(Self.borrower, 103..<105) == 0, "already unmapped")
        #expect(mappings.extents(of: Self.borrower).map(\.gfn) == [100, 105])
        #expect(mappings.page(Self.borrower, gfn: 106) == SimulatedPage(owner: Self.owner, ownerGFN: 1006))
        #expect(mappings.page(Self.borrower, gfn: 104) == nil)
    }

    @Test func mappingOverAMappingReplacesIt() {
        var mappings = SimulatedMappings()
        mappings.map(Self.borrower, gfn: 100, count: 10, owner: Self.owner, ownerGFN: 1000)
        mappings.map(Self.borrower, gfn: 105, count: 10, owner: Build.domid(2), ownerGFN: 0)
        #expect(mappings.page(Self.borrower, gfn: 104)?.owner == Self.owner)
        #expect(mappings.page(Self.borrower, gfn: 105) == SimulatedPage(owner: Build.domid(2), ownerGFN: 0))
        #expect(mappings.pageCount(of: Self.borrower) == 15)
        #expect(mappings.pageCount(of: Self.borrower, in: 100..<106) == 6)
    }

    /// Random maps and unmaps give exactly what a page-by-page table gives, and equal mappings compare equal
    /// however they were made.
    @Test func rangesAgreeWithAPageByPageModel() {
        var random = SplitMix64(seed: 0x5eed)
        for _ in 0..<50 {
            var mappings = SimulatedMappings()
            var model: [UInt64: SimulatedPage] = [:]
            for _ in 0..<40 {
                let gfn = random.next() % 64
                let count = 1 + random.next() % 16
                if random.next() % 3 == 0 {
                    let removed = (gfn..<(gfn + count)).filter { model.removeValue(forKey: $0) != nil }.count
                    #expect(mappings.unmap(Self.borrower, gfn..<(gfn + count)) == UInt64(removed))
                } else {
                    let owner = Build.domid(UInt32(1 + random.next() % 2))
                    let ownerGFN = random.next() % 8 == 0 ? random.next() % 64 : gfn
                    mappings.map(Self.borrower, gfn: gfn, count: count, owner: owner, ownerGFN: ownerGFN)
                    for index in 0..<count {
                        model[gfn + index] = SimulatedPage(owner: owner, ownerGFN: ownerGFN + index)
                    }
                }
            }
            let pages = mappings.pages(of: Self.borrower)
            #expect(pages.map { $0.gfn } == model.keys.sorted())
            #expect(pages.allSatisfy { model[$0.gfn] == $0.page })
            var rebuilt = SimulatedMappings()
            for (gfn, page) in model.sorted(by: { $0.key > $1.key }) {
                rebuilt.map(Self.borrower, gfn: gfn, count: 1, owner: page.owner, ownerGFN: page.ownerGFN)
            }
            #expect(rebuilt == mappings, "extents are maximal")
        }
    }
}
