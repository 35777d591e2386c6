import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXenTestSupport
import Testing

/// `DomainDirectory.names(store:)`: what `export` asks xenstore, on the fake and on both daemons.
@Suite("DomainNamesReader", .xenstored(.c, .ocaml))
struct DomainNamesReaderTests {
    @Test(arguments: XenStoreBackend.allCases)
    func namesComeFromLocalDomainAndJunkIsLeftOut(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { fixture in
            let rtos = try TestDomains.create("rtos", in: fixture.other)
            let gateway = try TestDomains.create("linux-gw", in: fixture.other)
            let unprintable = try TestDomains.create("bell\u{7}", in: fixture.other)
            let junk = XenStorePath("/local/domain/not-a-domid")
            try fixture.other.write(junk.appending("name"), "impostor", in: nil)
            defer {
                try? fixture.other.remove(junk, in: nil)
                for domain in [rtos, gateway, unprintable] { try? TestDomains.destroy(domain, in: fixture.other) }
            }

            let names = try DomainDirectory.names(store: fixture.store)
            #expect(names.name(of: rtos.domid) == "rtos")
            #expect(names.domids(named: "linux-gw") == [gateway.domid])
            #expect(names.name(of: unprintable.domid) == nil)
            #expect(!names.contains(.name("impostor")))
            #expect(names.contains(.id(gateway.domid)))
        }
    }
}
