import Foundation
import SSHMCore
import Testing

/// Doorbells in what `export` describes: per pair, from the owner's side and the borrower's.
@Suite struct ExportDocumentTests {
    static let twoBorrowers = """
        version: 1
        regions:
          - id: ring
            owner: {domain: rtos, begin: 0x7fe00000, size: 1MiB}
            borrowers:
              - {domain: linux-gw, begin: 0x1000000000}
              - {domain: 7, begin: 0x1000000000, doorbell: true}
              - {domain: logger-vm, begin: 0x1000000000, doorbell: true}
        """

    static func views() throws -> [DomainRef: GuestRegion] {
        let region = try #require(validate([("m.yaml", twoBorrowers)]).regions.first)
        var views = [region.owner.domain: GuestRegion(owning: region)]
        for borrower in region.borrowers { views[borrower.domain] = GuestRegion(borrowing: region, as: borrower) }
        return views
    }

    @Test func theOwnersPeersAreTheBorrowersWithADoorbellInManifestOrder() throws {
        let owner = try #require(try Self.views()[.name("rtos")])
        #expect(owner.doorbellPeers == [.id(DomID(unchecked: 7)), .name("logger-vm")])
        #expect(owner.hasDoorbell)
    }

    @Test func aBorrowerWithADoorbellHasItsOwnerAsItsPeerAndOneWithoutHasNone() throws {
        let views = try Self.views()
        #expect(views[.name("logger-vm")]?.doorbellPeers == [.name("rtos")])
        #expect(views[.name("linux-gw")]?.doorbellPeers == [])
        #expect(views[.name("linux-gw")]?.hasDoorbell == false)
    }

    @Test func jsonCarriesTheFlagAndThePeersAsDomainIdentities() throws {
        let views = try Self.views()
        for (domain, expected) in [
            ("rtos", #""doorbell":true,"doorbell_peers":[{"domid":7,"name":null},{"domid":null,"name":"logger-vm"}]"#),
            ("logger-vm", #""doorbell":true,"doorbell_peers":[{"domid":null,"name":"rtos"}]"#),
            ("linux-gw", #""doorbell":false,"doorbell_peers":[]"#),
        ] {
            let view = try #require(views[.name(domain)])
            let description = GuestDescription(
                domain: .name(domain), names: nil, configDirectory: "/etc/sshm.d", regions: [view])
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let json = String(decoding: try encoder.encode(ExportDocument(description)), as: UTF8.self)
            #expect(json.contains(expected), "\(domain): \(json)")
        }
    }
}
