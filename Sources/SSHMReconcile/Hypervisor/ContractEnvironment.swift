import SSHMCore

#if canImport(Glibc)
    import Glibc
#endif

/// What the ``HypervisorContract`` may do on one host and what it must see: which borrower may map which owner's
/// frames, which combinations the hypervisor refuses and how.
package struct ContractEnvironment: Sendable {
    /// One map probe: `count` owner frames from ``ownerGFN`` into the borrower at ``borrowerGFN``.
    package struct Probe: Hashable, Sendable, CustomStringConvertible {
        package enum Expectation: Hashable, Sendable {
            /// Every page maps, and unmaps again.
            case maps
            /// The whole call fails with this errno and maps nothing.
            case wholeCall(Int32)
            /// The call returns 0 and every page carries this errno.
            case everyPage(Int32)
        }

        package var borrower: DomID
        package var owner: DomID
        package var space: MapSpace
        package var expectation: Expectation

        package init(borrower: DomID, owner: DomID, space: MapSpace, expectation: Expectation) {
            self.borrower = borrower
            self.owner = owner
            self.space = space
            self.expectation = expectation
        }

        package var description: String { "dom\(borrower)<-dom\(owner) \(space.rawValue)" }
    }

    /// Two ends of an event channel the contract may allocate, bind and close: `local` allocates a port unbound for
    /// `remote`'s domain, `remote` binds it. On real Xen both are dom0's own libxenevtchn handle (dom0 cannot make
    /// calls on a guest's ports), so the channel loops back inside dom0; the simulator may pair two domains.
    package struct EventChannelPair: Sendable {
        package var local: any EventChannelGuest
        package var remote: any EventChannelGuest
        /// A port that `local`'s domain has never allocated: at or above its Xen `valid_evtchns` (which grows with
        /// the ports a domain allocates: a few hundred in a busy dom0).
        package var unallocatedPort: UInt32

        package init(
            local: any EventChannelGuest, remote: any EventChannelGuest,
            unallocatedPort: UInt32 = SimulatedEventChannelTable.maxPort
        ) {
            self.local = local
            self.remote = remote
            self.unallocatedPort = unallocatedPort
        }
    }

    /// First owner frame of every probe (RAM of each probed owner).
    package var ownerGFN: UInt64
    /// First borrower frame of every probe: a hole in each probed borrower's physical map, never its RAM.
    package var borrowerGFN: UInt64
    /// Pages per probe.
    package var pages: Int
    package var probes: [Probe]
    /// Borrowers on which unmapping an unmapped frame must answer "not mapped". Translated domains only: Xen
    /// refuses the unmap call itself on a PV domain.
    package var unmapProbes: [DomID]
    /// A domid that no domain holds.
    package var missingDomain: DomID
    /// Whether this process must be found running in the control domain.
    package var expectControlDomain: Bool
    /// Whether a batch of more than ``Page/maxBatch`` pages must be rejected before any hypercall. The simulator
    /// truncates it on purpose, like the raw hypercall does; the real adapter must refuse it.
    package var expectOversizedBatchRejected: Bool
    /// The event-channel checks' pair; `nil`: no event-channel checks.
    package var eventChannelPair: EventChannelPair?

    package init(
        ownerGFN: UInt64, borrowerGFN: UInt64, pages: Int = 4, probes: [Probe], unmapProbes: [DomID],
        missingDomain: DomID = DomID(unchecked: 32000), expectControlDomain: Bool = true,
        expectOversizedBatchRejected: Bool = false, eventChannelPair: EventChannelPair? = nil
    ) {
        self.ownerGFN = ownerGFN
        self.borrowerGFN = borrowerGFN
        self.pages = pages
        self.probes = probes
        self.unmapProbes = unmapProbes
        self.missingDomain = missingDomain
        self.expectControlDomain = expectControlDomain
        self.expectOversizedBatchRejected = expectOversizedBatchRejected
        self.eventChannelPair = eventChannelPair
    }
}

/// A probe as the `selftest hypervisor` command line spells it, with domains not yet resolved:
/// `BORROWER:OWNER:SPACE[:call=ERRNO|pages=ERRNO]`, e.g. `Domain-0:owner-vm:foreign` (must map) or
/// `pv-b:pv-a:foreign:call=EACCES`. Domains are names or domids; errnos are names (`EPERM`) or numbers.
package struct ProbeSpec: Hashable, Sendable {
    package var borrower: DomainRef
    package var owner: DomainRef
    package var space: MapSpace
    package var expectation: ContractEnvironment.Probe.Expectation

    /// Parses the spec; `nil` when it does not follow the grammar above.
    package init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 || parts.count == 4, let borrower = Self.domain(parts[0]),
            let owner = Self.domain(parts[1]), let space = MapSpace(rawValue: parts[2])
        else { return nil }
        self.borrower = borrower
        self.owner = owner
        self.space = space
        guard parts.count == 4 else {
            expectation = .maps
            return
        }
        let expect = parts[3].split(separator: "=", maxSplits: 1).map(String.init)
        guard expect.count == 2, let errno = Self.errno(expect[1]) else { return nil }
        switch expect[0] {
        case "call": expectation = .wholeCall(errno)
        case "pages": expectation = .everyPage(errno)
        default: return nil
        }
    }

    /// A domain as a manifest names it (``DomainGrammar``): a domid or a name; `nil` for anything else.
    package static func domain(_ text: String) -> DomainRef? { try? DomainGrammar.parse(text).get() }

    /// The errnos a hypervisor answers map calls with, by name.
    static func errno(_ text: String) -> Int32? {
        SystemErrno(named: text)?.rawValue ?? Int32(text).flatMap { $0 > 0 ? $0 : nil }
    }

    /// The probe with both domains resolved against `domains`; `nil` when either does not resolve to one domain.
    package func resolve(in domains: DomainTable) -> ContractEnvironment.Probe? {
        guard case .found(let borrowerDomain) = domains.resolve(borrower),
            case .found(let ownerDomain) = domains.resolve(owner)
        else { return nil }
        return ContractEnvironment.Probe(
            borrower: borrowerDomain.domid, owner: ownerDomain.domid, space: space, expectation: expectation)
    }
}
