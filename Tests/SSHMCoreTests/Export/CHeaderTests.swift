import SSHMCore
import Testing

@Suite struct CHeaderTests {
    @Test func aHeaderMatchesItsGoldenFile() throws {
        let rendered = try CHeader.render(try ExportFixture.description("linux-gw")).get()
        try ExportFixture.expectGolden(rendered, "linux-gw.h")
    }

    @Test func everyRegionDefinesDoorbellAndTheOwnersCommentNamesItsPeers() throws {
        let owner = try CHeader.render(try ExportFixture.description("rtos")).get()
        #expect(owner.contains("/* rtos-mailbox: owner, /etc/sshm.d/10-guests.yaml:4; doorbell with linux-gw */\n"))
        #expect(owner.contains("#define SSHM_RTOS_MAILBOX_DOORBELL 1\n"))
        #expect(owner.contains("/* rtos-log: owner, /etc/sshm.d/10-guests.yaml:8 */\n"))
        #expect(owner.contains("#define SSHM_RTOS_LOG_DOORBELL 0\n"))
    }

    @Test func macroNamesAreTheIDInUpperCaseWithUnderscores() throws {
        #expect(CHeader.macroPrefix(try #require(RegionID("rtos-log_2"))) == "SSHM_RTOS_LOG_2")
    }

    @Test func theGuardNamesTheDomainAsTheCommandDid() throws {
        for (domain, guardName) in [
            (DomainRef.name("linux-gw.v2"), "SSHM_LINUX_GW_V2_H"), (.id(.dom0), "SSHM_DOMID_0_H"),
        ] {
            let description = GuestDescription(domain: domain, names: nil, configDirectory: "/d", regions: [])
            let rendered = try CHeader.render(description).get()
            #expect(rendered.contains("#ifndef \(guardName)\n#define \(guardName)\n"))
            #expect(rendered.hasSuffix("#endif /* \(guardName) */\n"))
        }
    }

    @Test(arguments: [("a-b", "a_b"), ("Log", "log")])
    func idsThatBecomeTheSameMacroAreRefusedNamingBoth(_ first: String, _ second: String) throws {
        var description = try ExportFixture.description("linux-gw")
        description.regions[0].id = try #require(RegionID(first))
        description.regions[2].id = try #require(RegionID(second))
        let refusal = try #require(CHeader.render(description).failure)
        let prefix = CHeader.macroPrefix(description.regions[0].id)
        #expect(
            refusal.diagnostics.map(\.description) == [
                "\(description.regions[2].location): error: region ids '\(second)' and '\(first)' both become the C "
                    + "macros \(prefix)_*; rename one of them to export a C header",
                "\(description.regions[0].location): note: region '\(first)' is declared here",
            ])
    }

    @Test func textFromPathsCannotCloseTheComment() throws {
        let names = DomainNames([DomID(unchecked: 3): "vm*/"])
        let description = GuestDescription(
            domain: .id(DomID(unchecked: 3)), names: names, configDirectory: "/etc/*/sshm.d\n", regions: [])
        let rendered = try CHeader.render(description).get()
        #expect(rendered.contains("Static shared memory of vm*\\/ (dom3), from the manifests in /etc/*\\/sshm.d?."))
    }
}
