import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXenTestSupport
import Testing

/// Test domains look the way libxl writes them, on the fake and on a real daemon.
@Suite("TestDomains", .xenstored(.c))
struct TestDomainsTests {
    @Test(arguments: [XenStoreBackend.inMemory, .cXenstored])
    func createWritesTheToolstackLayoutAndDestroyRemovesIt(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { fixture in
            let events = WatchEventRecorder(fixture.store.watchEvents)
            try fixture.store.watch("@introduceDomain", token: "in")
            try fixture.store.watch("@releaseDomain", token: "out")
            _ = try await events.next(token: "in")
            _ = try await events.next(token: "out")

            let domain = try TestDomains.create("logger-vm", memoryKiB: 524_288, in: fixture.other)
            let store = fixture.store
            #expect(try store.read(domain.path.appending("name"), in: nil) == "logger-vm")
            #expect(try store.read(domain.path.appending("domid"), in: nil) == "\(domain.domid)")
            #expect(try store.read(domain.path.appending("vm"), in: nil) == "/vm/\(domain.uuid)")
            #expect(try store.read(domain.path.appending("memory/static-max"), in: nil) == "524288")
            #expect(try store.read(domain.vmPath.appending("uuid"), in: nil) == domain.uuid.rawValue)
            let readable = [
                XenStorePermission(domid: 0, access: .none),
                XenStorePermission(domid: domain.domid.rawValue, access: .read),
            ]
            #expect(try store.permissions(domain.path, in: nil) == readable)
            #expect(try store.permissions(domain.path.appending("name"), in: nil) == readable)
            _ = try await events.next(token: "in")

            try TestDomains.destroy(domain, in: fixture.other)
            #expect(try store.read(domain.path.appending("name"), in: nil) == nil)
            #expect(try store.read(domain.vmPath.appending("uuid"), in: nil) == nil)
            _ = try await events.next(token: "out")
        }
    }

    @Test func uniqueDomIDsDiffer() {
        let ids = (0..<100).map { _ in TestDomains.uniqueDomID() }
        #expect(Set(ids).count == 100)
        #expect(ids.allSatisfy { DomID($0.rawValue) != nil })
    }
}
