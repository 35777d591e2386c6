import PropertyBased
import SSHMCore
import SSHMTestSupport

/// Random choices for one borrower; `GeneratedManifest.regions(from:)` turns them into a valid one.
struct BorrowerSeed: Sendable {
    var domain: Int
    var offsetPages: UInt64
    /// 0 leaves the size to its default.
    var sizePages: UInt64
    var readOnly: Bool
    var jitterPages: UInt64
    var doorbell: Bool
}

struct RegionSeed: Sendable {
    var owner: Int
    var sizePages: UInt64
    var readOnly: Bool
    var armPolicy: Bool
    var jitterPages: UInt64
    var borrowers: [BorrowerSeed]
}

/// Valid manifests built from random seeds: valid by construction, so every finding is a bug.
enum GeneratedManifest {
    static let domains: [DomainRef] = [
        .name("sensor-vm"), .name("logger-vm"), .name("web.example"), .id(DomID(unchecked: 7)), .id(.dom0),
        .name("db_1"),
    ]

    static let borrower = zip(
        Gen.int(in: 0...5), Gen.uint64(in: 0...1023), Gen.uint64(in: 0...1024), Gen.bool(0.3), Gen.uint64(in: 0...4095),
        Gen.bool(0.3)
    ).map {
        BorrowerSeed(domain: $0, offsetPages: $1, sizePages: $2, readOnly: $3, jitterPages: $4, doorbell: $5)
    }

    static let region = zip(
        Gen.int(in: 0...5), Gen.uint64(in: 1...1024), Gen.bool(0.2), Gen.bool, Gen.uint64(in: 0...4095),
        borrower.array(of: 0...4)
    ).map {
        RegionSeed(owner: $0, sizePages: $1, readOnly: $2, armPolicy: $3, jitterPages: $4, borrowers: $5)
    }

    static func seeds(regions count: ClosedRange<Int>) -> Generator<[RegionSeed], some SendableSequenceType> {
        region.array(of: count)
    }

    /// Each (region, slot) gets its own 64 GiB window, so no two generated ranges can overlap.
    static func window(region: Int, slot: Int) -> UInt64 { UInt64(region * 8 + slot + 1) << 36 }

    static func regions(from seeds: [RegionSeed]) -> [Region] {
        seeds.enumerated().map { index, seed in
            let ownerDomain = domains[seed.owner]
            let ownerProt: Prot = seed.readOnly ? .ro : .rw
            let owner = OwnerSpec(
                domain: ownerDomain,
                begin: GuestAddress(gfn: (window(region: index, slot: 0) >> 12) + seed.jitterPages),
                size: Build.size(seed.sizePages << 12), prot: ownerProt,
                cachePolicy: seed.armPolicy ? .armNormal : .x86Normal)
            var used: Set<DomainRef> = [ownerDomain.canonical]
            var borrowers: [BorrowerSpec] = []
            for (slot, choice) in seed.borrowers.enumerated() {
                let domain = domains[choice.domain]
                guard used.insert(domain.canonical).inserted else { continue }
                let offset = choice.offsetPages % seed.sizePages
                let available = seed.sizePages - offset
                let pages = choice.sizePages == 0 ? available : 1 + (choice.sizePages - 1) % available
                borrowers.append(
                    BorrowerSpec(
                        domain: domain,
                        begin: GuestAddress(gfn: (window(region: index, slot: slot + 1) >> 12) + choice.jitterPages),
                        offset: Build.offset(offset << 12), size: Build.size(pages << 12),
                        prot: ownerProt == .ro || choice.readOnly ? .ro : .rw, doorbell: choice.doorbell))
            }
            return Region(
                id: Build.id("region-\(index)"), owner: owner, borrowers: borrowers,
                location: SourceLocation(file: "", line: 0, column: 0))
        }
    }
}

extension Region {
    /// The region without its position, for comparing what was written with what was read back.
    var withoutLocation: Region {
        var copy = self
        copy.location = SourceLocation(file: "", line: 0, column: 0)
        return copy
    }

    var readOnlyEndpoints: Int { (owner.prot == .ro ? 1 : 0) + borrowers.filter { $0.prot == .ro }.count }
}

extension String {
    /// 1-based numbers of the lines equal to `line`.
    func lineNumbers(of line: String) -> [Int] {
        split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap {
            $0.element == line ? $0.offset + 1 : nil
        }
    }
}
