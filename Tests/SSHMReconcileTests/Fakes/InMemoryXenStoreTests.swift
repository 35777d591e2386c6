import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import Testing

/// Where the fake is stricter than the contract requires, and its test-only features.
@Suite("InMemoryXenStore")
struct InMemoryXenStoreTests {
    /// The C daemon's rule, which the fake follows: creating siblings changes the parent's child list.
    @Test func creatingSiblingsInTwoTransactionsConflicts() throws {
        let store = InMemoryXenStore()
        let other = store.connect()
        try store.mkdir("/libxl/static_shm", in: nil)
        let first = try store.startTransaction()
        let second = try other.startTransaction()
        try store.write("/libxl/static_shm/a/size", "0x1000", in: first)
        try other.write("/libxl/static_shm/b/size", "0x1000", in: second)
        try store.commit(first)
        let error = #expect(throws: XenStoreError.self) { try other.commit(second) }
        #expect(error?.code == .conflict)
        #expect(try store.directory("/libxl/static_shm", in: nil) == ["a"])
    }

    @Test func writingDifferentExistingNodesInTwoTransactionsCommitsBoth() throws {
        let store = InMemoryXenStore()
        let other = store.connect()
        try store.write("/p", "", in: nil)
        try store.write("/q", "", in: nil)
        let first = try store.startTransaction()
        let second = try other.startTransaction()
        try store.write("/p", "1", in: first)
        try other.write("/q", "2", in: second)
        try store.commit(first)
        try other.commit(second)
        #expect(try store.read("/p", in: nil) == "1")
        #expect(try store.read("/q", in: nil) == "2")
    }

    /// oxenstored refuses values over 2048 bytes even from dom0; so does the fake.
    @Test func valuesOver2048BytesAreRefused() throws {
        let store = InMemoryXenStore()
        let error = #expect(throws: XenStoreError.self) {
            try store.write("/v", String(repeating: "x", count: 2049), in: nil)
        }
        #expect(error?.code == .quotaExceeded)
    }

    @Test(arguments: ["relative", "/trailing/", "/double//slash", "/space in/path", "/dot.in/path"])
    func malformedPathsAreInvalid(_ path: String) throws {
        let store = InMemoryXenStore()
        let error = #expect(throws: XenStoreError.self) { try store.write(XenStorePath(path), "x", in: nil) }
        #expect(error?.code == .invalidArgument)
    }

    @Test func countersCountRequestsPerConnection() throws {
        let store = InMemoryXenStore()
        let other = store.connect()
        try store.write("/a", "1", in: nil)
        _ = try store.read("/a", in: nil)
        _ = try store.directory("/", in: nil)
        let tx = try store.startTransaction()
        try store.mkdir("/b", in: tx)
        try store.commit(tx)
        #expect(store.counters == InMemoryXenStore.Counters(reads: 2, writes: 2, roundTrips: 6))
        #expect(other.counters == InMemoryXenStore.Counters())
        store.resetCounters()
        #expect(store.counters == InMemoryXenStore.Counters())
    }

    @Test func dumpShowsTheTreeBelowAPath() throws {
        let store = InMemoryXenStore()
        try store.write("/libxl/static_shm/ring/size", "0x1000", in: nil)
        #expect(
            store.dump(under: "/libxl") == [
                "/libxl": "", "/libxl/static_shm": "", "/libxl/static_shm/ring": "",
                "/libxl/static_shm/ring/size": "0x1000",
            ])
    }

    @Test func closingFinishesTheWatchEvents() async throws {
        let store = InMemoryXenStore()
        try store.watch("/x", token: "x")
        store.close()
        var received: [XenStoreWatchEvent] = []
        for await event in store.watchEvents { received.append(event) }
        #expect(received == [XenStoreWatchEvent(path: "/x", token: "x")])
        let error = #expect(throws: XenStoreError.self) { try store.read("/x", in: nil) }
        #expect(error?.code == .unavailable)
    }

    @Test func releasingADomainThatWasNeverIntroducedIsNotFound() throws {
        let store = InMemoryXenStore()
        let error = #expect(throws: XenStoreError.self) { try store.releaseDomain(DomID(unchecked: 7)) }
        #expect(error?.code == .notFound)
    }
}
