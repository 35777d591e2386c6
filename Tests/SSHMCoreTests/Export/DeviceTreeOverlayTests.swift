import SSHMCore
import Testing

@Suite struct DeviceTreeOverlayTests {
    @Test(arguments: ["rtos", "linux-gw"])
    func anOverlayMatchesItsGoldenFile(_ domain: String) throws {
        let rendered = try DeviceTreeOverlay.render(try ExportFixture.description(domain)).get()
        try ExportFixture.expectGolden(rendered, "\(domain).dts")
    }

    @Test func regWritesAddressAndSizeAsTwoCellsEach() {
        #expect(DeviceTreeOverlay.cells(0x12_3456_7000) == "0x12 0x34567000")
        #expect(DeviceTreeOverlay.cells(0x20_0000) == "0x0 0x200000")
    }

    @Test func aDomainInNoRegionGetsAnOverlayThatAddsNothing() throws {
        let empty = GuestDescription(
            domain: .name("idle-vm"), names: nil, configDirectory: "/etc/sshm.d", regions: [])
        let rendered = try DeviceTreeOverlay.render(empty).get()
        #expect(rendered.hasPrefix("/dts-v1/;\n/plugin/;\n"))
        #expect(rendered.hasSuffix("&{/} {\n};\n"))
        #expect(!rendered.contains("reserved-memory"))
    }

    @Test func anIDLongerThan15CharactersIsRefusedAtItsLine() throws {
        var description = try ExportFixture.description("rtos")
        let long = try #require(RegionID("sixteen-chars-ok"))
        description.regions[1].id = long
        let refusal = try #require(DeviceTreeOverlay.render(description).failure)
        #expect(
            refusal.diagnostics.map(\.description) == [
                "/etc/sshm.d/10-guests.yaml:8:9: error: region id 'sixteen-chars-ok' has 16 characters, more than "
                    + "the 15 a device tree's xen,id holds (16 bytes with the NUL); shorten the id to export it as dts"
            ])
    }

    @Test func fifteenCharactersFit() throws {
        var description = try ExportFixture.description("rtos")
        description.regions[0].id = try #require(RegionID("fifteen-chars-k"))
        #expect(try DeviceTreeOverlay.render(description).get().contains("xen,id = \"fifteen-chars-k\";"))
    }
}

extension Result {
    /// The error, or `nil` on success.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
