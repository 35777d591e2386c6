import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXenTestSupport
import Testing

/// Enough regions that `/libxl/static_shm` lists to more than 4096 bytes (over which oxenstored breaks a
/// libxenstore connection), on both daemons; the 10,000-region run lives in Benchmarks/reconcile/scale.
@Suite("Scale")
struct ScaleTests {
    static let regionsPerFile = 400
    static let files = 3

    static func desired(_ harness: EngineHarness, files: Range<Int>) -> DesiredState {
        DesiredState(
            files: files.map { file in
                let source = harness.source("\(file)0-bulk.yaml")
                let regions = (0..<regionsPerFile).map { index in
                    let n = file * regionsPerFile + index
                    return Build.region(
                        "bulk-region-\(n)", owner: "owner-vm", begin: 0x1000_0000 + UInt64(n) * 0x1_0000,
                        size: 0x1000,
                        borrowers: [
                            ("left-vm", 0x10_0000_0000 + UInt64(n) * 0x1_0000),
                            ("right-vm", 0x10_0000_0000 + UInt64(n) * 0x1_0000),
                        ], source: source)
                }
                return ManifestFile(path: source, status: .valid(regions), diagnostics: [])
            })
    }

    @Test(arguments: [XenStoreBackend.cXenstored, .oxenstored])
    func convergesOverALargeListingAndPrunesExactlyOneFile(_ backend: XenStoreBackend) async throws {
        try await EngineHarness.with(backend) { harness in
            for name in ["owner-vm", "left-vm", "right-vm"] { try TestDomains.create(name, in: harness.store) }
            let all = Self.desired(harness, files: 0..<Self.files)
            let first = try harness.pass(all)
            #expect(first.execution.failures.isEmpty)
            #expect(first.conditions.values.filter { $0.kind == .ready }.count == Self.regionsPerFile * Self.files)
            // The full listing of /libxl/static_shm is far over 4096 bytes, and still works on both daemons.
            let listed = try harness.store.directoryOnThrowawayHandle(XenStorePath(RecordPaths.root)) ?? []
            #expect(listed.count == Self.regionsPerFile * Self.files)
            #expect(listed.reduce(0) { $0 + $1.utf8.count + 1 } > 4096)
            #expect(try harness.plan(all).isEmpty)

            // Delete the middle file: exactly its regions go.
            let kept = DesiredState(files: all.files.enumerated().filter { $0.offset != 1 }.map(\.element))
            let pruned = try harness.pass(kept, previous: first.conditions)
            #expect(pruned.execution.failures.isEmpty)
            #expect(pruned.plan.actions.count == Self.regionsPerFile)
            #expect(pruned.plan.actions.allSatisfy { $0.kind == .prune })
            let remaining = Set(try harness.store.directoryOnThrowawayHandle(XenStorePath(RecordPaths.root)) ?? [])
            #expect(remaining == Set(kept.regions.map(\.id.rawValue)))
            #expect(try harness.inconsistencies() == [])
            #expect(try harness.plan(kept).isEmpty)
        }
    }
}
