import Foundation
import SSHMCore
import SSHMTestSupport
import Testing

@testable import SSHMReconcile

#if canImport(Glibc)
    import Glibc
#endif

/// The Hypervisor contract against the simulator, with the domains and answers the system tier sees on real Xen
/// (docs/system-test.md): the same checks then run in a real dom0 through `sshm-reconcile selftest hypervisor`.
struct HypervisorContractTests {
    /// Two PV domUs and two PVH domUs (domids 1-4) beside dom0, written the way libxl writes them.
    static func addDomains(to store: some DomainIntroducing) throws {
        for (domid, name, type) in [(1, "pv-a", "pv"), (2, "pv-b", "pv"), (3, "pvh-c", "pvh"), (4, "pvh-d", "pvh")] {
            try TestDomains.create(
                name, domid: Build.domid(UInt32(domid)), uuid: Build.uuid(UInt64(0xA0 + domid)), memoryKiB: 131_072,
                in: store)
            // The simulator's stock policy tells PV from PVH by the toolstack's record of the type.
            try store.write(XenStorePath("/libxl/\(domid)/type"), type, in: nil)
        }
    }

    /// Runs the contract against a fresh simulator on the engine harness's store and state directory.
    static func run(
        policy: SimulatedHypervisor.Policy, _ specs: [String], unmapProbes: [UInt32] = [0, 4]
    ) async throws -> [ContractResult] {
        try await EngineHarness.inMemory { harness in
            try addDomains(to: harness.store)
            let hypervisor = harness.hypervisor(policy: policy)
            let domains = try DomainDirectory.read(hypervisor: hypervisor, store: harness.store)
            let probes = try specs.map { spec in
                try #require(ProbeSpec(parsing: spec)?.resolve(in: domains), "\(spec)")
            }
            let environment = ContractEnvironment(
                ownerGFN: 0x100, borrowerGFN: 0x100_0000, pages: 4, probes: probes,
                unmapProbes: unmapProbes.map(Build.domid))
            let results = HypervisorContract(hypervisor: hypervisor, store: harness.store, environment: environment)
                .run()
            #expect(hypervisor.mappings.totalPages == 0, "the contract leaves nothing mapped")
            return results
        }
    }

    /// What stock Xen 4.17 answered under QEMU (DESIGN §9), probe by probe.
    static let stockProbes = [
        "pv-b:pv-a:foreign:call=EACCES", "pv-b:pv-a:share:call=EACCES", "pvh-d:pvh-c:foreign:pages=EPERM",
        "pvh-d:pvh-c:share:pages=EINVAL", "0:pvh-c:foreign", "Domain-0:pvh-c:share:pages=EINVAL",
    ]

    @Test func simulatorUnderTheStockPolicyAnswersLikeStockXen() async throws {
        let results = try await Self.run(policy: .stock, Self.stockProbes)
        #expect(results.filter { !$0.passed }.map(\.description) == [])
        // info, dom0, uuids, 2 unmap probes, 6 probes, missing domain
        #expect(results.count == 12)
        #expect(results.contains { $0.name == "map-unmap-round-trip dom0<-dom3 foreign" && $0.passed })
    }

    @Test func simulatorUnderThePermissivePolicyMapsDomUToDomU() async throws {
        let results = try await Self.run(
            policy: .permissive, ["pvh-d:pvh-c:share", "pv-b:pv-a:foreign", "0:pvh-c:foreign"])
        #expect(results.filter { !$0.passed }.map(\.description) == [])
        #expect(results.count == 9)
    }

    @Test func aWrongExpectationFailsItsCheck() async throws {
        let results = try await Self.run(policy: .stock, ["pv-b:pv-a:foreign", "pvh-d:pvh-c:foreign:pages=EINVAL"])
        let failed = results.filter { !$0.passed }.map(\.name)
        #expect(
            failed == [
                "map-unmap-round-trip dom2<-dom1 foreign",
                "every-page-refused dom4<-dom3 foreign Invalid argument (EINVAL, errno 22)",
            ])
    }

    @Test func unmappingOnAPVBorrowerIsNotAnUnmapProbe() async throws {
        let results = try await Self.run(policy: .stock, [], unmapProbes: [2])
        let probe = try #require(results.first { $0.name.hasPrefix("unmap-of-unmapped") })
        #expect(!probe.passed)
        #expect(probe.detail.contains("Permission denied (EACCES, errno 13)"))
    }

    /// The contract's event-channel checks alone (no probes), on a pair of the simulator's domains.
    static func runEventChannels(
        eventChannels: ((SimulatedHypervisor) -> any EventChannels)? = nil, local: UInt32, remote: UInt32
    ) async throws -> [ContractResult] {
        try await EngineHarness.inMemory { harness in
            try addDomains(to: harness.store)
            let hypervisor = harness.hypervisor()
            let pair = ContractEnvironment.EventChannelPair(
                local: SimulatedEventChannelGuest(hypervisor, domain: Build.domid(local)),
                remote: SimulatedEventChannelGuest(hypervisor, domain: Build.domid(remote)))
            let environment = ContractEnvironment(
                ownerGFN: 0x100, borrowerGFN: 0x100_0000, probes: [], unmapProbes: [], eventChannelPair: pair)
            let results = HypervisorContract(
                hypervisor: hypervisor, eventChannels: eventChannels?(hypervisor) ?? hypervisor, store: harness.store,
                environment: environment
            ).run()
            let table = try SimulatedEventChannelFile.read(path: harness.stateFile + ".evtchn")
            let open = table.domains.values.flatMap(\.values).filter { $0 != .closed }
            #expect(open == [], "the contract closes every port it opened")
            return results.filter { $0.name.hasPrefix("evtchn") }
        }
    }

    @Test(arguments: [(3, 4), (0, 0)])
    func simulatorPassesTheEventChannelChecksBetweenTwoDomainsAndInsideDom0(local: UInt32, remote: UInt32)
        async throws
    {
        let results = try await Self.runEventChannels(local: local, remote: remote)
        #expect(results.filter { !$0.passed }.map(\.description) == [])
        #expect(
            results.map { $0.name.split(separator: " ")[0] } == [
                "evtchn-status-of-unallocated-port-is-invalid", "evtchn-status-in-missing-domain-is-gone",
                "evtchn-allocated-port-is-unbound-for-its-remote", "evtchn-bound-ports-are-interdomain-both-ways",
                "evtchn-closed-port-is-closed-and-its-peer-unbound-for-the-closer",
            ])
    }

    @Test func aStatusThatMissesTheCloseFailsTheCloseCheckAndTheContractStillClosesItsPorts() async throws {
        let results = try await Self.runEventChannels(
            eventChannels: { StaleEventChannels(wrapping: $0) }, local: 3, remote: 4)
        let failed = results.filter { !$0.passed }
        #expect(failed.map(\.name) == ["evtchn-closed-port-is-closed-and-its-peer-unbound-for-the-closer dom3-dom4"])
        #expect(failed.first?.detail.contains("dom3 port 1 is interdomain") == true, "\(failed)")
    }

    @Test func anAdapterThatCannotTellEventChannelStatesFailsInsteadOfSkipping() async throws {
        try await EngineHarness.inMemory { harness in
            let simulator = harness.hypervisor()
            let dom0 = SimulatedEventChannelGuest(simulator, domain: .dom0)
            let environment = ContractEnvironment(
                ownerGFN: 0x100, borrowerGFN: 0x100_0000, probes: [], unmapProbes: [],
                eventChannelPair: ContractEnvironment.EventChannelPair(local: dom0, remote: dom0))
            // The Hypervisor port's default: every status is ENOSYS.
            let cannotTell = FixedDomainsHypervisor(domains: [DomainInfo(domid: .dom0, uuid: .zero)])
            let results = HypervisorContract(hypervisor: cannotTell, store: harness.store, environment: environment)
                .run()
            #expect(
                results.filter { !$0.passed && $0.name.hasPrefix("evtchn") }.map { $0.name.split(separator: " ")[0] }
                    == [
                        "evtchn-status-of-unallocated-port-is-invalid", "evtchn-status-in-missing-domain-is-gone",
                        "evtchn-allocated-port-is-unbound-for-its-remote",
                    ])
            let opened = try simulator.eventChannelStatus(domain: .dom0, port: 1)
            #expect(opened == .closed, "the port the contract opened is closed again")
        }
    }

    @Test func aListedDomainWhoseVMNodeDisagreesFailsTheUUIDCheck() throws {
        let store = InMemoryXenStore()
        try TestDomains.createDom0(in: store)
        try Self.addDomains(to: store)
        try store.write("/local/domain/2/vm", "/vm/\(Build.uuid(0xBAD))", in: nil)
        let hypervisor = FixedDomainsHypervisor(domains: [
            DomainInfo(domid: .dom0, uuid: Build.uuid(0)), DomainInfo(domid: Build.domid(1), uuid: Build.uuid(0xA1)),
            DomainInfo(domid: Build.domid(2), uuid: Build.uuid(0xA2)),
            DomainInfo(domid: Build.domid(3), uuid: Build.uuid(0xA3)),
            DomainInfo(domid: Build.domid(4), uuid: Build.uuid(0xA4)),
        ])
        let environment = ContractEnvironment(ownerGFN: 0x100, borrowerGFN: 0x100_0000, probes: [], unmapProbes: [])
        let results = HypervisorContract(hypervisor: hypervisor, store: store, environment: environment).run()
        let uuids = try #require(results.first { $0.name == "domain-uuids-match-vm-nodes" })
        #expect(!uuids.passed)
        #expect(uuids.detail.contains("dom2 is listed with \(Build.uuid(0xA2))"))
    }
}

/// Lists a fixed set of domains and refuses every map: enough to exercise the listing checks.
final class FixedDomainsHypervisor: Hypervisor {
    let domains: [DomainInfo]

    init(domains: [DomainInfo]) { self.domains = domains }

    func info() throws -> HypervisorInfo {
        HypervisorInfo(kind: "xen", version: "4.17.7", arch: .host, isControlDomain: true)
    }
    func listDomains() throws -> [DomainInfo] { domains }

    func addToPhysmapBatch(
        borrower: DomID, owner: DomID, space: MapSpace, ownerGFN: UInt64, borrowerGFN: UInt64, count: Int
    ) throws -> [Int32] {
        throw HypervisorError(operation: "xc_domain_add_to_physmap_batch", errno: ESRCH, borrower: borrower)
    }

    func removeFromPhysmap(borrower: DomID, gfn: UInt64) throws -> Bool {
        throw HypervisorError(operation: "xc_domain_remove_from_physmap", errno: ESRCH, borrower: borrower)
    }
}

/// Keeps answering `interdomain` for a port once it was: what an adapter caching its answers would do.
final class StaleEventChannels: EventChannels, @unchecked Sendable {
    // @unchecked: the contract calls from one thread.
    let wrapped: any EventChannels
    var seen: [String: EventChannelStatus] = [:]

    init(wrapping wrapped: any EventChannels) { self.wrapped = wrapped }

    func eventChannelStatus(domain: DomID, port: UInt32) throws -> EventChannelStatus {
        if let cached = seen["\(domain):\(port)"] { return cached }
        let status = try wrapped.eventChannelStatus(domain: domain, port: port)
        if case .interdomain = status { seen["\(domain):\(port)"] = status }
        return status
    }
}

struct ProbeSpecTests {
    @Test func parsesAMapThatMustSucceed() throws {
        let spec = try #require(ProbeSpec(parsing: "Domain-0:owner-vm:foreign"))
        #expect(spec.borrower == .name("Domain-0"))
        #expect(spec.owner == .name("owner-vm"))
        #expect(spec.space == .foreign)
        #expect(spec.expectation == .maps)
    }

    @Test func parsesDomidsAndRefusalsByErrnoNameOrNumber() throws {
        #expect(ProbeSpec(parsing: "2:1:share:pages=EINVAL")?.expectation == .everyPage(EINVAL))
        #expect(ProbeSpec(parsing: "2:1:foreign:call=13")?.expectation == .wholeCall(EACCES))
        #expect(ProbeSpec(parsing: "2:1:foreign")?.borrower == .id(Build.domid(2)))
    }

    @Test(arguments: [
        "", "a:b", "a:b:gmfn", "a::foreign", "a:b:foreign:call", "a:b:foreign:later=EPERM", "a:b:share:pages=EWHAT",
    ])
    func rejectsMalformedSpecs(_ text: String) {
        #expect(ProbeSpec(parsing: text) == nil)
    }
}
