import Foundation
import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXen
import SSHMXenTestSupport
import Testing

/// `--map-space auto`, the default: on stock Xen (the simulator's stock policy) a dom0 borrower maps with
/// gmfn_foreign, and a domU borrower is refused with one sentence that says what would work.
@Suite("map space")
struct MapSpaceTests {
    static let manifest = """
        version: 1
        regions:
          - id: to-dom0
            owner: {domain: camera-vm, begin: 0x80000000, size: 16KiB}
            borrowers: [{domain: Domain-0, begin: 0x3000000000}]
          - id: to-domu
            owner: {domain: camera-vm, begin: 0x90000000, size: 16KiB}
            borrowers: [{domain: preview-vm, begin: 0x2000000000}]
        """

    @Test func autoMapsADom0BorrowerOnStockXenAndRefusesADomUWithWhatWouldWork() async throws {
        try await HostWorld.with { world in
            let camera = try TestDomains.create("camera-vm", in: world.store).domid
            let preview = try TestDomains.create("preview-vm", in: world.store).domid
            try world.store.write(XenStorePath("/libxl/\(preview)/type"), "pvh", in: nil)
            try world.manifest("10-frames.yaml", Self.manifest)
            let applied = try await world.run(["apply", "--sim-policy", "stock"])
            #expect(applied.status == 1, "\(applied.stdout)\(applied.stderr)")
            let status = try await world.run(["status", "-o", "json", "--sim-policy", "stock"])
            let document = try #require(
                try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
            let regions = try #require(document["regions"] as? [[String: Any]])
            #expect(regions.map { $0["condition"] as? String } == ["Ready", "Failed"])
            let failed = try #require((regions[1]["conditions"] as? [[String: Any]])?.last)
            #expect(failed["reason"] as? String == "RefusedByHypervisor")
            #expect(
                failed["message"] as? String
                    == "simulated Xen 4.17 (stock) on \(Arch.host.rawValue) refused to map dom\(camera)'s pages into "
                    + "dom\(preview), a PVH domU, with map space share (XENMAPSPACE 6: Invalid argument (EINVAL, errno 22) at "
                    + "gfn 0x2000000); stock Xen maps only into dom0: make dom0 the borrower, or run Xen with the "
                    + "static shared memory series' gmfn_share patch.")
            #expect(try world.inconsistencies() == [])
        }
    }

    @Test func explicitShareRefusesEvenDom0AndSaysAutoWouldWork() async throws {
        try await HostWorld.with { world in
            let camera = try TestDomains.create("camera-vm", in: world.store).domid
            try world.manifest("10-frames.yaml", Self.manifest.components(separatedBy: "  - id: to-domu")[0])
            let applied = try await world.run(["apply", "--sim-policy", "stock", "--map-space", "share"])
            #expect(applied.status == 1)
            #expect(
                applied.stdout.contains(
                    "to-dom0: Failed (RefusedByHypervisor): simulated Xen 4.17 (stock) on \(Arch.host.rawValue) "
                        + "refused to map dom\(camera)'s pages into dom0, a PVH dom0, with map space share "
                        + "(XENMAPSPACE 6: Invalid argument (EINVAL, errno 22) at gfn 0x3000000); stock Xen has no gmfn_share: "
                        + "a dom0 borrower works with --map-space auto (the default) or foreign.\n"),
                "\(applied.stdout)")
        }
    }

    @Test func autoChoosesForeignForDom0AndShareForEveryDomU() {
        #expect(MapSpaceSetting.auto.space(for: .dom0) == .foreign)
        #expect(MapSpaceSetting.auto.space(for: DomID(unchecked: 7)) == .share)
        #expect(MapSpaceSetting.share.space(for: .dom0) == .share)
        #expect(MapSpaceSetting.foreign.space(for: DomID(unchecked: 7)) == .foreign)
    }
}
