import Foundation
import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXen
import SSHMXenTestSupport
import Testing

/// The hidden `selftest` commands that the system tier runs in a real dom0, here against the simulator.
@Suite("selftest hypervisor and selftest domains")
struct SelftestCommandTests {
    /// Two PV domUs and a PVH domU, as xl records them (the stock policy reads the type).
    static func prepare(_ world: HostWorld) throws -> [String: TestDomain] {
        var domains: [String: TestDomain] = [:]
        for (name, type) in [("pv-a", "pv"), ("pv-b", "pv"), ("pvh-c", "pvh")] {
            let domain = try TestDomains.create(name, memoryKiB: 131_072, in: world.store)
            try world.store.write(XenStorePath("/libxl/\(domain.domid)/type"), type, in: nil)
            domains[name] = domain
        }
        return domains
    }

    @Test func hypervisorContractPassesOnTheStockSimulator() async throws {
        try await HostWorld.with { world in
            _ = try Self.prepare(world)
            let run = try await world.run([
                "selftest", "hypervisor", "--sim-policy", "stock", "--probe", "pv-b:pv-a:foreign:call=EACCES",
                "--probe", "pvh-c:pv-a:foreign:pages=EPERM", "--probe", "Domain-0:pvh-c:foreign",
                "--probe", "0:pvh-c:share:pages=EINVAL", "--unmap-probe", "Domain-0",
            ])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            // 9 map and list checks, 5 event-channel checks in dom0.
            #expect(run.stdout.hasSuffix("14 passed, 0 failed\n"), "\(run.stdout)")
            #expect(run.stdout.contains("PASS map-unmap-round-trip dom0<-dom"))
            #expect(run.stdout.contains("PASS evtchn-bound-ports-are-interdomain-both-ways dom0-dom0"))
        }
    }

    @Test func hypervisorContractExitsOneWhenTheHypervisorDisagrees() async throws {
        try await HostWorld.with { world in
            _ = try Self.prepare(world)
            let run = try await world.run([
                "selftest", "hypervisor", "--sim-policy", "stock", "--probe", "pv-b:pv-a:foreign",
            ])
            #expect(run.status == 1)
            #expect(run.stdout.contains("FAIL map-unmap-round-trip dom"))
            #expect(run.stdout.hasSuffix("9 passed, 1 failed\n"), "\(run.stdout)")
        }
    }

    @Test func aProbeNamingNoDomainFailsInsteadOfBeingSkipped() async throws {
        try await HostWorld.with { world in
            let run = try await world.run(["selftest", "hypervisor", "--probe", "ghost-vm:Domain-0:foreign"])
            #expect(run.status == 1)
            #expect(run.stdout.contains("FAIL resolve ghost-vm <- Domain-0: no such running domain"))
        }
    }

    @Test func malformedProbeIsAUsageError() async throws {
        let run = try await BuiltTool.run(["selftest", "hypervisor", "--probe", "pv-b:pv-a"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("write BORROWER:OWNER:SPACE"))
    }

    @Test func domainsListsEveryDomainWithItsUUID() async throws {
        try await HostWorld.with { world in
            let domains = try Self.prepare(world)
            let run = try await world.run(["selftest", "domains"])
            #expect(run.status == 0, "\(run.stderr)")
            let lines = Set(run.stdout.split(separator: "\n").map(String.init))
            for domain in domains.values {
                #expect(lines.contains("\(domain.domid) \(domain.uuid) unknown running"), "\(run.stdout)")
            }
        }
    }

    @Test(.enabled(if: !FileManager.default.fileExists(atPath: "/dev/xen/privcmd"), "this host has no Xen"))
    func withoutXenTheRealAdapterExitsUnavailableWithOneClearError() async throws {
        try await HostWorld.with { world in
            let run = try await BuiltTool.run(
                ["selftest", "domains", "--hypervisor", "xenctrl"],
                environment: ["XENSTORED_PATH": world.sandbox.socketPath])
            #expect(run.status == 69)
            #expect(run.stderr.contains("run sshm-reconcile as root in dom0 of a Xen host"))
            #expect(run.stderr.contains("/dev/xen/privcmd"))
            // libxencall's own stderr logger would print "xencall: error: …"; the adapter's logger keeps it quiet.
            #expect(!run.stderr.contains("xencall: error:"), "\(run.stderr)")
        }
    }
}
