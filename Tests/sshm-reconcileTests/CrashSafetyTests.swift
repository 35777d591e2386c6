import Foundation
import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXen
import SSHMXenTestSupport
import Testing

/// The process is killed (SIGKILL, by the simulated hypervisor) at each step of map, unmap and repair; the guest
/// views never say `mapped` before the pages are, and a fresh `apply` must converge with no orphan mapping, a
/// consistent usercnt and every view in place.
@Suite("Crash safety")
struct CrashSafetyTests {
    enum Scenario: String, CaseIterable, CustomTestStringConvertible {
        /// Map two borrowers of 4 pages: 2 map calls.
        case map
        /// Unmap a borrower of 4 pages: 4 unmap calls.
        case unmap
        /// Recover an interrupted map: unmap 4 pages, then map again.
        case repair
        var testDescription: String { rawValue }
    }

    static let points: [(Scenario, String)] = [
        (.map, "crash-before=1"), (.map, "crash-after=1"), (.map, "crash-before=2"), (.map, "crash-after=2"),
        (.unmap, "crash-before=1"), (.unmap, "crash-after=2"), (.unmap, "crash-after=4"),
        (.repair, "crash-after=1"), (.repair, "crash-after=4"), (.repair, "crash-after=5"),
    ]

    static func manifest(borrowers: [String]) -> String {
        var text = """
            version: 1
            regions:
              - id: ring
                owner:
                  domain: sensor-vm
                  begin: 0x7fe00000
                  size: 16KiB
                borrowers:

            """
        for name in borrowers { text += "      - domain: \(name)\n        begin: 0x1000000000\n" }
        return text
    }

    @Test(arguments: points)
    func aFreshApplyConvergesAfterACrash(_ scenario: Scenario, _ fault: String) async throws {
        try await HostWorld.with { world in
            try TestDomains.create("sensor-vm", in: world.store)
            try TestDomains.create("logger-vm", in: world.store)
            try TestDomains.create("audit-vm", in: world.store)
            try world.manifest("10-ring.yaml", Self.manifest(borrowers: ["logger-vm", "audit-vm"]))
            switch scenario {
            case .map:
                break
            case .unmap:
                #expect(try await world.run(["apply"]).status == 0)
                try world.manifest("10-ring.yaml", Self.manifest(borrowers: ["logger-vm"]))
            case .repair:
                #expect(try await world.run(["apply"]).status == 0)
                // What a crash after the intent leaves: the entry and the borrower's view say mapping.
                let logger = try #require(try world.store.directory("/libxl/static_shm/ring/slaves", in: nil)?.first)
                let sensor = try #require(try world.store.read("/libxl/static_shm/ring/master", in: nil))
                try world.store.write(XenStorePath("/libxl/static_shm/ring/slaves/\(logger)/state"), "mapping", in: nil)
                try world.store.write(XenStorePath("/local/domain/\(logger)/static_shm/ring/state"), "mapping", in: nil)
                try world.store.write(XenStorePath("/local/domain/\(sensor)/static_shm/ring/state"), "waiting", in: nil)
            }
            let crashed = try await world.run(["apply"], faults: fault)
            #expect(crashed.status == nil, "the process should have been killed at \(fault): \(crashed.stdout)")
            // Every crash point leaves work half-done (an intent, a page mapped but not recorded, …), and no guest
            // view says more than the hypervisor holds.
            #expect(try !world.inconsistencies().isEmpty)
            #expect(try world.viewProblems() == [])
            let recovered = try await world.run(["apply"])
            #expect(recovered.status == 0, "\(recovered.stdout)\(recovered.stderr)")
            #expect(try world.inconsistencies() == [])
            #expect(try await world.run(["plan", "--detailed-exitcode"]).status == 0)
        }
    }
}
