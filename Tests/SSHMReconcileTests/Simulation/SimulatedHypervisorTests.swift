import SSHMCore
import SSHMTestSupport
import Testing

@testable import SSHMReconcile

struct SimulatedHypervisorTests {
    /// What the simulator reads of a domain to map its pages (the owner's `memory/static-max`) is read once per
    /// incarnation: a listing keeps it for a domain still there under the same UUID, and forgets it for a new one.
    @Test func aListingKeepsWhatWasReadOfADomainUntilItsUUIDChanges() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let base = InMemoryXenStore()
        defer { base.close() }
        try TestDomains.createDom0(in: base)
        let owner = try TestDomains.create("owner", memoryKiB: 1 << 20, in: base)
        let borrower = try TestDomains.create("borrower", in: base)
        let store = CountingXenStore(base)
        let simulator = SimulatedHypervisor(store: store, stateFile: directory.path + "/simulated.json")
        var gfn: UInt64 = 0x10_0000
        /// Lists the domains, then maps one page. Returns the map's requests.
        func listThenMap() throws -> Int {
            _ = try simulator.listDomains()
            let listed = store.current.requests
            let errs = try simulator.addToPhysmapBatch(
                borrower: borrower.domid, owner: owner.domid, space: .foreign, ownerGFN: 0x100, borrowerGFN: gfn,
                count: 1)
            #expect(errs == [0])
            gfn += 1
            return store.current.requests - listed
        }
        _ = try listThenMap()
        #expect(try listThenMap() == 0, "the owner's RAM size is still known")
        try TestDomains.destroy(owner, in: base)
        _ = try TestDomains.create("owner", domid: owner.domid, memoryKiB: 1 << 20, in: base)
        #expect(try listThenMap() == 1, "a new incarnation: its RAM size is read again")
    }
}
