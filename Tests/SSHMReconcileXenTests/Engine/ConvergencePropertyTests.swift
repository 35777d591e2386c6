import PropertyBased
import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXenTestSupport
import Testing

/// Whatever the manifests said before, whatever damage the records took since, and whichever domains went away:
/// one pass converges, the next plan is empty, and records and mappings agree.
@Suite("Convergence properties")
struct ConvergencePropertyTests {
    static let names = ["alpha-vm", "beta-vm", "gamma-vm", "delta-vm", "Domain-0"]

    struct RegionSeed: Sendable, CustomStringConvertible {
        var owner: Int
        var pages: UInt64
        var borrowers: [Int]
        var description: String { "owner \(owner), \(pages)p, borrowers \(borrowers)" }
    }

    /// Damage a person, a crash or another tool may do to the records, all of it repairable.
    enum Damage: Sendable, CaseIterable {
        case usercnt, usercntText, stateMapping, stateUnmapping, noRole, noIndex, prot, source, noUUID, noState
    }

    struct Case: Sendable, CustomStringConvertible {
        var before: [RegionSeed]
        var after: [RegionSeed]
        var damage: [(Damage, Int)]
        var destroyed: Int?
        var description: String {
            "before \(before), damage \(damage), destroyed \(String(describing: destroyed)), after \(after)"
        }
    }

    static let region = zip(Gen.int(in: 0...4), Gen.uint64(in: 1...8), Gen.int(in: 0...4).array(of: 0...3))
        .map { RegionSeed(owner: $0, pages: $1, borrowers: $2) }
    static let damage = zip(Gen.int(in: 0..<Damage.allCases.count), Gen.int(in: 0...99))
        .map { (Damage.allCases[$0], $1) }
    static let cases = zip(
        region.array(of: 0...5), region.array(of: 1...5), damage.array(of: 0...6), Gen.int(in: -3...4)
    ).map { Case(before: $0, after: $1, damage: $2, destroyed: $3 >= 0 ? $3 : nil) }

    /// Regions from seeds: each (region, slot) gets its own window, so nothing overlaps; a borrower that is the owner
    /// or repeats is dropped, as the validator would have refused it.
    static func desired(_ seeds: [RegionSeed], _ harness: EngineHarness) -> DesiredState {
        let regions = seeds.enumerated().map { index, seed in
            var region = Build.region(
                "r\(index)", owner: names[seed.owner], begin: UInt64(index + 1) << 28, size: seed.pages << 12,
                borrowers: [], source: harness.source())
            var used: Set<Int> = [seed.owner]
            for (slot, borrower) in seed.borrowers.enumerated() where used.insert(borrower).inserted {
                region.borrowers.append(
                    BorrowerSpec(
                        domain: .name(names[borrower]), begin: Build.address(UInt64(index * 8 + slot + 1) << 36),
                        offset: .zero, size: region.owner.size, prot: .rw))
            }
            return region
        }
        return Build.desired(regions, file: harness.source())
    }

    static func inflict(_ damage: Damage, pick: Int, _ harness: EngineHarness) throws {
        let store = harness.other
        let ids = try harness.store.directory(XenStorePath(RecordPaths.root), in: nil) ?? []
        guard !ids.isEmpty else { return }
        let base = XenStorePath(RecordPaths.root).appending(ids[pick % ids.count])
        let entries = try store.directory(base.appending("slaves"), in: nil) ?? []
        let entry = entries.isEmpty ? nil : base.appending("slaves").appending(entries[pick % entries.count])
        switch damage {
        case .usercnt: try store.write(base.appending("usercnt"), "\(pick)", in: nil)
        case .usercntText: try store.write(base.appending("usercnt"), "lots", in: nil)
        case .stateMapping: if let entry { try store.write(entry.appending("state"), "mapping", in: nil) }
        case .stateUnmapping: if let entry { try store.write(entry.appending("state"), "unmapping", in: nil) }
        case .noState: if let entry { try store.remove(entry.appending("state"), in: nil) }
        case .noUUID: if let entry { try store.remove(entry.appending("uuid"), in: nil) }
        case .prot: try store.write(base.appending("prot"), "ro", in: nil)
        case .source: try store.write(base.appending("source"), harness.source("99-elsewhere.yaml"), in: nil)
        case .noIndex:
            guard let id = RegionID(ids[pick % ids.count]) else { return }
            try store.remove(XenStorePath(RecordPaths.indexEntry(id)), in: nil)
        case .noRole:
            guard let owner = try store.read(base.appending("master"), in: nil) else { return }
            try store.remove(XenStorePath("/local/domain/\(owner)/static_shm/\(ids[pick % ids.count])"), in: nil)
        }
    }

    /// Many cases on the fake, fewer on each real daemon (each case starts one).
    @Test(arguments: [(XenStoreBackend.inMemory, 200), (.cXenstored, 20), (.oxenstored, 20)])
    func onePassConvergesFromAnyDamagedOrOutdatedState(_ backend: XenStoreBackend, _ count: Int) async {
        await propertyCheck(count: count, input: Self.cases) { testCase in
            do {
                try await EngineHarness.with(backend) { harness in
                    var domains: [TestDomain] = []
                    for name in Self.names.dropLast() {
                        domains.append(try TestDomains.create(name, in: harness.store))
                    }
                    var previous = try harness.pass(Self.desired(testCase.before, harness)).conditions
                    for (damage, pick) in testCase.damage { try Self.inflict(damage, pick: pick, harness) }
                    if let index = testCase.destroyed, index < domains.count {
                        try TestDomains.destroy(domains[index], in: harness.store)
                    }
                    let after = Self.desired(testCase.after, harness)
                    previous = try harness.pass(after, previous: previous).conditions
                    let plan = try harness.plan(after, previous: previous)
                    #expect(plan.isEmpty, "\(plan.actions.map(\.line))")
                    #expect(try harness.inconsistencies() == [], "\(testCase)")
                    #expect(!previous.values.contains { $0.kind == .failed || $0.kind == .degraded }, "\(previous)")
                }
            } catch {
                Issue.record("\(error)")
            }
        }
    }
}
