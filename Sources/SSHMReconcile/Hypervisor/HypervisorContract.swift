import SSHMCore

/// One named check of the ``HypervisorContract`` and how it went.
package struct ContractResult: Hashable, Sendable, CustomStringConvertible {
    package var name: String
    package var passed: Bool
    /// What was seen, in one line.
    package var detail: String

    package init(name: String, passed: Bool, detail: String) {
        self.name = name
        self.passed = passed
        self.detail = detail
    }

    package var description: String { "\(passed ? "PASS" : "FAIL") \(name): \(detail)" }
}

/// What every ``Hypervisor`` adapter must do, written once: `swift test` runs it against the simulator, and the
/// system tier runs it against libxenctrl in a real dom0 (`sshm-reconcile selftest hypervisor`).
///
/// Plain Swift on purpose (no test framework), so that the product binary can carry it. Every map it makes it
/// unmaps again, and every event-channel port it opens it closes, so a run leaves the host as it found it.
package struct HypervisorContract {
    package let hypervisor: any Hypervisor
    /// Whose event-channel status the event-channel checks read: the hypervisor's own unless a test wraps it.
    package let eventChannels: any EventChannels
    /// Where the toolstack's view of the domains lives (`/local/domain/<domid>/vm`).
    package let store: any XenStore
    package let environment: ContractEnvironment

    package init(
        hypervisor: any Hypervisor, eventChannels: (any EventChannels)? = nil, store: any XenStore,
        environment: ContractEnvironment
    ) {
        self.hypervisor = hypervisor
        self.eventChannels = eventChannels ?? hypervisor
        self.store = store
        self.environment = environment
    }

    /// Runs every check, in order; never throws (a thrown error is a failed check).
    package func run() -> [ContractResult] {
        var results = [checkInfo()]
        let domains: [DomainInfo]
        do {
            domains = try hypervisor.listDomains()
        } catch {
            return results + [ContractResult(name: "list-domains", passed: false, detail: "\(error)")]
        }
        results.append(checkDom0(domains))
        results.append(checkUUIDs(domains))
        results += environment.unmapProbes.map(checkUnmapOfUnmapped)
        results += environment.probes.map(check)
        results.append(checkMissingDomain())
        if environment.expectOversizedBatchRejected { results.append(checkOversizedBatch()) }
        if let pair = environment.eventChannelPair { results += checkEventChannels(pair) }
        return results
    }

    func result(_ name: String, _ body: () throws -> (Bool, String)) -> ContractResult {
        do {
            let (passed, detail) = try body()
            return ContractResult(name: name, passed: passed, detail: detail)
        } catch {
            return ContractResult(name: name, passed: false, detail: "unexpected error: \(error)")
        }
    }

    private func checkInfo() -> ContractResult {
        result("info") {
            let info = try hypervisor.info()
            let numeric = info.version.split(separator: ".").prefix(2).allSatisfy {
                Int($0.prefix { $0.isNumber }) != nil
            }
            let passed =
                !info.kind.isEmpty && numeric && info.version.contains(".") && info.arch == .host
                && info.isControlDomain == environment.expectControlDomain
            return (
                passed,
                "\(info.kind) \(info.version) \(info.arch.rawValue), "
                    + "\(info.isControlDomain ? "control domain" : "not the control domain")"
            )
        }
    }

    private func checkDom0(_ domains: [DomainInfo]) -> ContractResult {
        guard let dom0 = domains.first(where: { $0.domid == .dom0 }) else {
            return ContractResult(name: "dom0-listed-with-zero-uuid", passed: false, detail: "dom0 is not listed")
        }
        let duplicates = Dictionary(grouping: domains, by: \.domid).filter { $0.value.count > 1 }.keys
        return ContractResult(
            name: "dom0-listed-with-zero-uuid", passed: dom0.uuid == .zero && duplicates.isEmpty,
            detail: "dom0 uuid \(dom0.uuid), kind \(dom0.kind.rawValue); \(domains.count) domains listed"
                + (duplicates.isEmpty ? "" : ", listed twice: \(duplicates.sorted().map { "dom\($0)" })"))
    }

    /// Every listed domain whose `vm` node names a UUID has that UUID, and every domain in `/local/domain` is listed.
    private func checkUUIDs(_ domains: [DomainInfo]) -> ContractResult {
        result("domain-uuids-match-vm-nodes") {
            var problems: [String] = []
            var compared: [String] = []
            let listed = Dictionary(domains.map { ($0.domid, $0) }, uniquingKeysWith: { first, _ in first })
            for name in try store.directory("/local/domain", in: nil) ?? [] {
                guard let domid = DomID(decimal: name) else { continue }
                guard let info = listed[domid] else {
                    problems.append("dom\(domid) is in xenstore but not listed")
                    continue
                }
                guard let vm = try store.read(XenStorePath("/local/domain/\(domid)/vm"), in: nil), vm.hasPrefix("/vm/")
                else { continue }
                if DomainUUID(vm.dropFirst(4)) == info.uuid {
                    compared.append("dom\(domid)")
                } else {
                    problems.append("dom\(domid) is listed with \(info.uuid) but its vm node says \(vm)")
                }
            }
            // dom0 may lack a vm node (xen-init-dom0 writes one); a dying domain has already left xenstore.
            let uncompared = domains.filter { $0.domid != .dom0 && !$0.isDying && !compared.contains("dom\($0.domid)") }
            problems += uncompared.map { "dom\($0.domid) has no vm node to compare with" }
            let detail =
                problems.isEmpty
                ? "\(compared.count) of \(domains.count) domains compared (\(compared.joined(separator: " ")))"
                : problems.joined(separator: "; ")
            return (problems.isEmpty, detail)
        }
    }

    private func checkUnmapOfUnmapped(_ borrower: DomID) -> ContractResult {
        let gfn = environment.borrowerGFN
        return result("unmap-of-unmapped-frame-answers-not-mapped dom\(borrower)") {
            let removed = try hypervisor.removeFromPhysmap(borrower: borrower, gfn: gfn)
            return (!removed, "gfn 0x\(String(gfn, radix: 16)) \(removed ? "answered removed" : "answered not mapped")")
        }
    }

    private func check(_ probe: ContractEnvironment.Probe) -> ContractResult {
        switch probe.expectation {
        case .maps: return checkRoundTrip(probe)
        case .wholeCall(let errno): return checkWholeCallRefusal(probe, errno: errno)
        case .everyPage(let errno): return checkEveryPageRefusal(probe, errno: errno)
        }
    }

    private func map(_ probe: ContractEnvironment.Probe, count: Int? = nil) throws -> [Int32] {
        try hypervisor.addToPhysmapBatch(
            borrower: probe.borrower, owner: probe.owner, space: probe.space, ownerGFN: environment.ownerGFN,
            borrowerGFN: environment.borrowerGFN, count: count ?? environment.pages)
    }

    /// Unmaps the probe's frames whose result was 0; returns how many the hypervisor said it removed.
    @discardableResult
    private func undo(_ probe: ContractEnvironment.Probe, _ errors: [Int32]) throws -> Int {
        var removed = 0
        for (index, errno) in errors.enumerated() where errno == 0 {
            if try hypervisor.removeFromPhysmap(borrower: probe.borrower, gfn: environment.borrowerGFN + UInt64(index))
            {
                removed += 1
            }
        }
        return removed
    }

    private func checkRoundTrip(_ probe: ContractEnvironment.Probe) -> ContractResult {
        result("map-unmap-round-trip \(probe)") {
            let errors = try map(probe)
            let mapped = errors.filter { $0 == 0 }.count
            let removed = try undo(probe, errors)
            let again = try hypervisor.removeFromPhysmap(borrower: probe.borrower, gfn: environment.borrowerGFN)
            let passed = errors.count == environment.pages && mapped == environment.pages && removed == mapped && !again
            return (
                passed,
                "mapped \(mapped) of \(environment.pages) (errs \(errors)), unmapped \(removed), "
                    + "second unmap \(again ? "removed something" : "answered not mapped")"
            )
        }
    }

    private func checkWholeCallRefusal(_ probe: ContractEnvironment.Probe, errno: Int32) -> ContractResult {
        result("whole-call-refused \(probe) \(SystemErrno(errno))") {
            do {
                let errors = try map(probe)
                try undo(probe, errors)
                return (false, "the call returned 0 with errs \(errors)")
            } catch let error as HypervisorError {
                let passed = error.errno == errno && error.code == HypervisorError.code(for: errno)
                return (passed, "\(error)")
            }
        }
    }

    private func checkEveryPageRefusal(_ probe: ContractEnvironment.Probe, errno: Int32) -> ContractResult {
        result("every-page-refused \(probe) \(SystemErrno(errno))") {
            let errors = try map(probe)
            try undo(probe, errors)
            let passed = errors.count == environment.pages && errors.allSatisfy { $0 == errno }
            return (passed, "the call returned 0 with errs \(errors)")
        }
    }

    private func checkMissingDomain() -> ContractResult {
        let missing = environment.missingDomain
        return result("missing-domain-is-gone dom\(missing)") {
            var seen: [String] = []
            var passed = true
            do {
                let errors = try hypervisor.addToPhysmapBatch(
                    borrower: missing, owner: .dom0, space: .foreign, ownerGFN: environment.ownerGFN,
                    borrowerGFN: environment.borrowerGFN, count: 1)
                passed = false
                seen.append("map returned \(errors)")
            } catch let error as HypervisorError {
                passed = passed && error.code == .domainGone
                seen.append("map: \(error)")
            }
            do {
                let removed = try hypervisor.removeFromPhysmap(borrower: missing, gfn: environment.borrowerGFN)
                passed = false
                seen.append("unmap returned \(removed)")
            } catch let error as HypervisorError {
                passed = passed && error.code == .domainGone
                seen.append("unmap: \(error)")
            }
            return (passed, seen.joined(separator: "; "))
        }
    }

    private func checkOversizedBatch() -> ContractResult {
        result("batch-over-\(Page.maxBatch)-pages-rejected") {
            let probe = ContractEnvironment.Probe(borrower: .dom0, owner: .dom0, space: .foreign, expectation: .maps)
            do {
                let errors = try map(probe, count: Page.maxBatch + 1)
                try undo(probe, errors)
                return (false, "the call went through with \(errors.count) results")
            } catch let error as HypervisorError {
                return (error.code == .invalid, "\(error)")
            }
        }
    }
}
