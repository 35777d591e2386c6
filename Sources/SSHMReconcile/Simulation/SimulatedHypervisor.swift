import SSHMCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A hypervisor for tests, demos and hosts without Xen (docs/design.md, "Ports and the simulated hypervisor").
///
/// A domain exists while `/local/domain/<domid>` exists in xenstore, as of the last ``listDomains()`` (a domain
/// removed after it still maps until the next listing, where Xen would answer ESRCH); its UUID comes from its `vm`
/// node (`/vm/<uuid>`; dom0 without one has the all-zero UUID). Mappings live in a ``SimulatorStateFile``. It behaves
/// like the real call where that matters: the page count is truncated to 16 bits, a failed call leaves its
/// per-page results as garbage, owner frames beyond `memory/static-max` fail with EINVAL, and
/// `--sim-policy stock` refuses what stock Xen 4.17 refuses. Event channels: SimulatedHypervisor+EventChannels.swift.
package final class SimulatedHypervisor: Hypervisor {
    package enum Policy: String, CaseIterable, Sendable {
        /// Any domain may borrow: the behaviour of a hypervisor with the series' gmfn_share.
        case permissive
        /// Stock Xen 4.17 on x86: space 6 fails every page with EINVAL; gmfn_foreign into a PV domU fails the whole
        /// call with EACCES, into any other domU every page with EPERM; only dom0 may borrow.
        case stock
    }

    private struct State {
        /// Opened on the first mutating call: listing domains (plan, status) touches no file.
        var file: SimulatorStateFile?
        var mappings = SimulatedMappings()
        var mapCalls = 0
        var unmapCalls = 0
        var mutatingCalls = 0
        var pagesSeen: UInt64 = 0
        /// What each domain's xenstore nodes said, since the last `listDomains`: a real hypervisor answers its
        /// calls without xenstore, so the simulation reads it as rarely as it can.
        var known: [DomID: Known] = [:]
    }

    private struct Known {
        var uuid: DomainUUID
        /// `memory/static-max` in pages; `.some(nil)` when the node is absent.
        var ramPages: UInt64??
        /// `/libxl/<domid>/type`; `.some(nil)` when absent.
        var type: String??
    }

    let store: any XenStore
    private let stateFile: String
    /// Every domain's event-channel ports, beside `stateFile` (SimulatedHypervisor+EventChannels.swift).
    let eventChannelFile: SimulatedEventChannelFile
    private let policy: Policy
    private let faults: SimulatorFaults
    private let state: Mutex<State>

    /// Opens the simulated hypervisor whose mappings live at `stateFile`.
    package init(
        store: any XenStore, stateFile: String, policy: Policy = .permissive,
        faults: SimulatorFaults = SimulatorFaults()
    ) {
        self.store = store
        self.stateFile = stateFile
        eventChannelFile = SimulatedEventChannelFile(stateFile: stateFile)
        self.policy = policy
        self.faults = faults
        state = Mutex(State())
    }

    /// The state file, opened (and its journal folded in) on first use.
    private func file() throws -> SimulatorStateFile {
        try state.withLock { state throws -> SimulatorStateFile in
            if let file = state.file { return file }
            let file = try SimulatorStateFile(path: stateFile)
            let alive = Set(try Self.readDomains(store).map { DomainKey(domid: $0.domid, uuid: $0.uuid) })
            state.mappings = try file.loadAndCompact(alive: alive)
            state.file = file
            return file
        }
    }

    package func info() throws -> HypervisorInfo {
        HypervisorInfo(kind: "simulated", version: "4.17 (\(policy.rawValue))", arch: .host, isControlDomain: true)
    }

    package func listDomains() throws -> [DomainInfo] {
        let domains = try Self.readDomains(store)
        state.withLock { state in
            // A domain listed again under the same UUID is the same incarnation: what was read of it stays (its
            // RAM size and type do not change while it lives), so that a map after each listing, the daemon's
            // reaction to a domain's arrival, does not read them again.
            state.known = Dictionary(
                uniqueKeysWithValues: domains.map { domain in
                    let previous = state.known[domain.domid].flatMap { $0.uuid == domain.uuid ? $0 : nil }
                    return (domain.domid, previous ?? Known(uuid: domain.uuid))
                })
        }
        return domains
    }

    /// Domains from `/local/domain/*` and their `vm` nodes, read together (one hypercall lists them on Xen: the
    /// simulator should not cost a round trip per domain).
    static func readDomains(_ store: any XenStore) throws -> [DomainInfo] {
        let domids = (try store.directory("/local/domain", in: nil) ?? []).compactMap { DomID(decimal: $0) }
        let vms = try store.readMany(domids.map { .read(XenStorePath("/local/domain/\($0)/vm")) })
        var domains: [DomainInfo] = []
        for (domid, vm) in zip(domids, vms) {
            guard let uuid = uuid(of: domid, vm: vm.value) else { continue }
            // Only a translated dom0 can borrow on stock x86 Xen, and the stock policy lets dom0 borrow: it is PVH.
            domains.append(DomainInfo(domid: domid, uuid: uuid, kind: domid == .dom0 ? .pvh : .unknown))
        }
        return domains.sorted { $0.domid < $1.domid }
    }

    private static func uuid(of domid: DomID, _ store: any XenStore) throws -> DomainUUID? {
        uuid(of: domid, vm: try store.read(XenStorePath("/local/domain/\(domid)/vm"), in: nil))
    }

    /// The UUID a domain's `vm` node (`/vm/<uuid>`) names; dom0 has none.
    private static func uuid(of domid: DomID, vm: String?) -> DomainUUID? {
        guard let vm else { return domid == .dom0 ? .zero : nil }
        guard vm.hasPrefix("/vm/") else { return nil }
        return DomainUUID(vm.dropFirst(4))
    }

    private func key(_ domid: DomID, operation: String) throws -> DomainKey {
        if let known = state.withLock({ $0.known[domid] }) { return DomainKey(domid: domid, uuid: known.uuid) }
        guard let uuid = try Self.uuid(of: domid, store) else {
            throw HypervisorError(operation: operation, errno: ESRCH, borrower: domid)
        }
        state.withLock { $0.known[domid] = Known(uuid: uuid) }
        return DomainKey(domid: domid, uuid: uuid)
    }

    private func checkpoint(_ calls: Int, crashAt: Int?) {
        if let crashAt, calls == crashAt { kill(getpid(), SIGKILL) }
    }

    package func addToPhysmapBatch(
        borrower: DomID, owner: DomID, space: MapSpace, ownerGFN: UInt64, borrowerGFN: UInt64, count: Int
    ) throws -> [Int32] {
        let operation = "xc_domain_add_to_physmap_batch"
        let calls = state.withLock { state in
            state.mapCalls += 1
            state.mutatingCalls += 1
            return (map: state.mapCalls, mutating: state.mutatingCalls)
        }
        checkpoint(calls.mutating, crashAt: faults.crashBefore)
        defer { checkpoint(calls.mutating, crashAt: faults.crashAfter) }
        let gfns = borrowerGFN...(borrowerGFN + UInt64(max(count, 1)) - 1)
        // The hypercall's size field is a uint16_t: the pages beyond count mod 65536 are never looked at, and
        // their errs stay as the caller left them.
        let effective = count & 0xFFFF
        var errs = [Int32](repeating: 0, count: count)
        var rc: Int32 = 0
        var callErrno: Int32 = 0
        let file = try file()
        do {
            let borrowerKey = try key(borrower, operation: operation)
            _ = try key(owner, operation: operation)
            if let failCall = faults.failCall, failCall.call == calls.map {
                rc = -1
                callErrno = failCall.errno
            } else if let refusal = try refusal(borrower: borrower, space: space) {
                switch refusal {
                case .wholeCall(let errno):
                    rc = -1
                    callErrno = errno
                case .everyPage(let errno):
                    for index in 0..<effective { errs[index] = -errno }
                }
            } else {
                for run in try mappedRuns(owner: owner, ownerGFN: ownerGFN, count: effective, errs: &errs) {
                    try file.appendMap(
                        borrowerKey, gfn: borrowerGFN + run.lowerBound, count: UInt64(run.count), owner: owner,
                        ownerGFN: ownerGFN + run.lowerBound)
                    state.withLock {
                        $0.mappings.map(
                            borrowerKey, gfn: borrowerGFN + run.lowerBound, count: UInt64(run.count), owner: owner,
                            ownerGFN: ownerGFN + run.lowerBound)
                    }
                }
            }
        } catch let error as HypervisorError where error.code == .domainGone {
            rc = -1
            callErrno = ESRCH
        }
        return try PhysmapBatch.interpret(
            rc: rc, errno: callErrno, errs: errs, borrower: borrower, owner: owner, borrowerGFNs: gfns)
    }

    /// The pages of a call that map, as runs of page indices; `errs` gets the errno of every page that does not.
    /// Pages past the owner's RAM fail with EINVAL, and the fault's page with its errno: the only per-page work is
    /// filling `errs`, so that a 512 MiB region costs the same bookkeeping as a small one.
    private func mappedRuns(owner: DomID, ownerGFN: UInt64, count: Int, errs: inout [Int32]) throws -> [Range<UInt64>] {
        let firstPage = state.withLock { state in
            defer { state.pagesSeen += UInt64(count) }
            return state.pagesSeen
        }
        let inRAM =
            try ramPages(of: owner).map { $0 > ownerGFN ? min(UInt64(count), $0 - ownerGFN) : 0 } ?? UInt64(count)
        for index in Int(inRAM)..<count { errs[index] = -EINVAL }
        var runs: [Range<UInt64>] = []
        var next: UInt64 = 0
        for (page, errno) in faults.failPages.sorted(by: { $0.key < $1.key })
        where page >= firstPage && page - firstPage < UInt64(count) {
            let index = page - firstPage
            errs[Int(index)] = -errno
            if next < min(index, inRAM) { runs.append(next..<min(index, inRAM)) }
            next = index + 1
        }
        if next < inRAM { runs.append(next..<inRAM) }
        return runs
    }

    package func removeFromPhysmap(borrower: DomID, gfn: UInt64) throws -> Bool {
        try removeFromPhysmap(borrower: borrower, gfns: gfn..<(gfn + 1)) == 1
    }

    /// What one call per frame would do, and counted so for crash points, but in one step of bookkeeping: a real
    /// hypervisor takes a call per frame, the simulator keeps ranges, and a journal line per frame would make it
    /// what the benchmarks measure. A crash point inside the range unmaps the frames before it first, as the calls
    /// before it would have.
    package func removeFromPhysmap(borrower: DomID, gfns: Range<UInt64>) throws -> UInt64 {
        let operation = "xc_domain_remove_from_physmap"
        guard let firstGFN = gfns.first else { return 0 }
        let (first, firstUnmap) = state.withLock { ($0.mutatingCalls + 1, $0.unmapCalls + 1) }
        let borrowerKey: DomainKey
        let file: SimulatorStateFile
        do {
            if let failUnmap = faults.failUnmap, failUnmap.call == firstUnmap {
                throw HypervisorError(
                    operation: operation, errno: failUnmap.errno, borrower: borrower, gfns: firstGFN...firstGFN)
            }
            file = try self.file()
            borrowerKey = try key(borrower, operation: operation)
            if case .wholeCall(let errno) = try refusal(borrower: borrower, space: .foreign) {
                throw HypervisorError(operation: operation, errno: errno, borrower: borrower, gfns: firstGFN...firstGFN)
            }
        } catch {
            // The first call fails: it counts, and so do its crash points.
            state.withLock {
                $0.mutatingCalls += 1
                $0.unmapCalls += 1
            }
            checkpoint(first, crashAt: faults.crashBefore)
            checkpoint(first, crashAt: faults.crashAfter)
            throw error
        }
        let calls = first..<(first + gfns.count)
        // How many frames a crash point inside the range lets through before it kills the process, and which
        // frame's call fails.
        let crash = [
            faults.crashBefore.flatMap { calls.contains($0) ? $0 - first : nil },
            faults.crashAfter.flatMap { calls.contains($0) ? $0 - first + 1 : nil },
        ].compactMap { $0 }.min()
        let failure = faults.failUnmap.flatMap { fault in
            (firstUnmap..<(firstUnmap + gfns.count)).contains(fault.call) ? fault.call - firstUnmap : nil
        }
        let done = min(crash ?? gfns.count, failure ?? gfns.count)
        let fails = failure == done && crash != done
        let made = done + (fails ? 1 : 0)
        state.withLock {
            $0.mutatingCalls += made
            $0.unmapCalls += made
        }
        let range = gfns.lowerBound..<(gfns.lowerBound + UInt64(done))
        var unmapped: UInt64 = 0
        if state.withLock({ $0.mappings.pageCount(of: borrowerKey, in: range) }) > 0 {
            try file.appendUnmap(borrowerKey, range)
            unmapped = state.withLock { $0.mappings.unmap(borrowerKey, range) }
        }
        if let crash, crash <= made { kill(getpid(), SIGKILL) }
        if fails, let failUnmap = faults.failUnmap {
            let gfn = range.upperBound
            throw HypervisorError(operation: operation, errno: failUnmap.errno, borrower: borrower, gfns: gfn...gfn)
        }
        return unmapped
    }

    private enum Refusal {
        case wholeCall(Int32)
        case everyPage(Int32)
    }

    /// dom0 is PVH (see ``readDomains(_:)``); a domU has the type xl wrote to `/libxl/<domid>/type`.
    package func domainKind(_ domid: DomID) throws -> DomainInfo.Kind? {
        if domid == .dom0 { return .pvh }
        guard try Self.uuid(of: domid, store) != nil else { return nil }
        return try store.read(XenStorePath("/libxl/\(domid)/type"), in: nil).flatMap(DomainInfo.Kind.init) ?? .unknown
    }

    /// What stock Xen 4.17 on x86 answers (measured under QEMU; docs/design.md, "The hypervisor").
    private func refusal(borrower: DomID, space: MapSpace) throws -> Refusal? {
        guard policy == .stock else { return nil }
        let type: String?
        if let cached = state.withLock({ $0.known[borrower]?.type }) {
            type = cached
        } else {
            type = try store.read(XenStorePath("/libxl/\(borrower)/type"), in: nil)
            state.withLock { $0.known[borrower]?.type = .some(type) }
        }
        if borrower != .dom0, type == "pv" { return .wholeCall(EACCES) }
        if space == .share { return .everyPage(EINVAL) }
        return borrower == .dom0 ? nil : .everyPage(EPERM)
    }

    /// The owner's RAM in pages, from `memory/static-max` (KiB), when the toolstack wrote it.
    private func ramPages(of owner: DomID) throws -> UInt64? {
        if let cached = state.withLock({ $0.known[owner]?.ramPages }) { return cached }
        let text = try store.read(XenStorePath("/local/domain/\(owner)/memory/static-max"), in: nil)
        let pages = text.flatMap { UInt64($0) }.map { $0 / 4 }
        state.withLock { $0.known[owner]?.ramPages = .some(pages) }
        return pages
    }

    /// The mappings as this process knows them.
    package var mappings: SimulatedMappings { state.withLock { $0.mappings } }
}
