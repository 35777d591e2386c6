import SSHMCore
import SSHMTestSupport
import Synchronization
import Testing

@testable import SSHMReconcile

/// A hypervisor double that records every call and answers from a script.
final class ScriptedHypervisor: Hypervisor {
    enum Call: Equatable {
        case map(ownerGFN: UInt64, borrowerGFN: UInt64, count: Int)
        case unmap(UInt64)
    }

    private struct State {
        var calls: [Call] = []
        var mapAnswers: [Result<[Int32], HypervisorError>] = []
    }

    private let state = Mutex(State())

    /// Answers for the next map calls, in order; when they run out, every page maps.
    init(mapAnswers: [Result<[Int32], HypervisorError>] = []) {
        state.withLock { $0.mapAnswers = mapAnswers }
    }

    var calls: [Call] { state.withLock { $0.calls } }
    var unmapped: [UInt64] { calls.compactMap { if case .unmap(let gfn) = $0 { gfn } else { nil } } }

    func info() throws -> HypervisorInfo {
        HypervisorInfo(kind: "xen", version: "4.17.7", arch: .x86_64, isControlDomain: true)
    }
    func listDomains() throws -> [DomainInfo] { [] }

    func addToPhysmapBatch(
        borrower: DomID, owner: DomID, space: MapSpace, ownerGFN: UInt64, borrowerGFN: UInt64, count: Int
    ) throws -> [Int32] {
        let answer = state.withLock { state -> Result<[Int32], HypervisorError>? in
            state.calls.append(.map(ownerGFN: ownerGFN, borrowerGFN: borrowerGFN, count: count))
            return state.mapAnswers.isEmpty ? nil : state.mapAnswers.removeFirst()
        }
        return try answer?.get() ?? [Int32](repeating: 0, count: count)
    }

    func removeFromPhysmap(borrower: DomID, gfn: UInt64) throws -> Bool {
        state.withLock { $0.calls.append(.unmap(gfn)) }
        return true
    }
}

struct PageMapperTests {
    static func target(pages: UInt64) -> BorrowerTarget {
        BorrowerTarget(
            domain: Build.domain("logger-vm", 5), owner: Build.domid(3), begin: Build.address(0x10_0000_0000),
            size: Build.size(pages * 4096), offset: .zero, prot: .rw, ownerFirstGFN: 0x7FE00, cachePolicy: .x86Normal)
    }

    static let borrowerGFN: UInt64 = 0x100_0000

    @Test func mapsSeventyThousandPagesInTwoChunksOfAtMost65535() throws {
        let hypervisor = ScriptedHypervisor()
        try PageMapper(hypervisor: hypervisor, space: .share).map(Self.target(pages: 70_000))
        #expect(
            hypervisor.calls == [
                .map(ownerGFN: 0x7FE00, borrowerGFN: Self.borrowerGFN, count: 65535),
                .map(ownerGFN: 0x7FE00 + 65535, borrowerGFN: Self.borrowerGFN + 65535, count: 4465),
            ])
    }

    @Test func unmapsNothingWhenTheFirstCallFailsAsAWhole() {
        let refused = HypervisorError(operation: "xc_domain_add_to_physmap_batch", errno: 13)
        let hypervisor = ScriptedHypervisor(mapAnswers: [.failure(refused)])
        #expect(throws: PageMapper.MapFailure.self) {
            try PageMapper(hypervisor: hypervisor, space: .share).map(Self.target(pages: 4))
        }
        #expect(hypervisor.unmapped.isEmpty)
        #expect(hypervisor.calls.count == 1)
    }

    @Test func unmapsExactlyTheFirstChunkWhenTheSecondFailsAsAWhole() {
        let hypervisor = ScriptedHypervisor(mapAnswers: [
            .success([Int32](repeating: 0, count: 3)), .failure(HypervisorError(operation: "x", errno: 12)),
        ])
        var mapper = PageMapper(hypervisor: hypervisor, space: .share)
        mapper.chunk = 3
        do {
            try mapper.map(Self.target(pages: 5))
            Issue.record("the map should have failed")
        } catch {
            #expect(error.cause.code == .outOfMemory)
            #expect(error.cause.gfns == (Self.borrowerGFN + 3)...(Self.borrowerGFN + 4))
            #expect(error.rolledBack)
        }
        #expect(hypervisor.unmapped == [Self.borrowerGFN, Self.borrowerGFN + 1, Self.borrowerGFN + 2])
    }

    @Test func unmapsEveryPageThatMappedWhenOnePageFails() {
        let hypervisor = ScriptedHypervisor(mapAnswers: [.success([0, 0, 22, 0])])
        do {
            try PageMapper(hypervisor: hypervisor, space: .share).map(Self.target(pages: 4))
            Issue.record("the map should have failed")
        } catch {
            #expect(error.cause.code == .invalid)
            #expect(error.cause.gfns == (Self.borrowerGFN + 2)...(Self.borrowerGFN + 2))
        }
        #expect(hypervisor.unmapped == [Self.borrowerGFN, Self.borrowerGFN + 1, Self.borrowerGFN + 3])
    }
}
