import SSHMCore

/// Maps and unmaps a borrower's pages through the hypervisor port, the way the seed should have: in chunks of at
/// most 65535 pages, reading per-page results only when the call succeeded, and on any failure unmapping exactly
/// the pages that were mapped — and nothing when nothing was.
struct PageMapper {
    let hypervisor: any Hypervisor
    let space: MapSpaceSetting
    /// Pages per call; only tests lower it.
    var chunk = Page.maxBatch

    /// What a failed map left behind.
    struct MapFailure: Error {
        /// The first error: the whole call's, or the first page's.
        var cause: HypervisorError
        /// The mapped ranges the rollback could not unmap, each with the error of its first page that failed
        /// (empty when everything mapped was unmapped again).
        var stuck: [HypervisorError] = []
        /// Whether every page that was mapped has been unmapped again (else the intent must stay for recovery).
        var rolledBack: Bool { stuck.isEmpty }

        /// What the condition adds to the cause: every range still mapped, by borrower address.
        var leftover: String? {
            guard !stuck.isEmpty else { return nil }
            let ranges = stuck.compactMap(\.gfns).map { gfns in
                let first = "0x\(String(gfns.lowerBound * Page.size, radix: 16))"
                return gfns.count == 1
                    ? first : "\(first)-0x\(String((gfns.upperBound + 1) * Page.size - 1, radix: 16))"
            }
            return "the rollback could not unmap \(ranges.joined(separator: ", ")) (\(stuck[0])); "
                + "the intent stays and the next pass unmaps the whole range"
        }
    }

    /// Maps `target` completely or not at all.
    func map(_ target: BorrowerTarget) throws(MapFailure) {
        let borrower = target.domain.domid
        let total = target.size.pages
        var mapped: [Range<UInt64>] = []
        var done: UInt64 = 0
        var failure: HypervisorError?
        while done < total, failure == nil {
            let count = Int(min(UInt64(chunk), total - done))
            let borrowerGFN = target.begin.gfn + done
            let gfns = borrowerGFN...(borrowerGFN + UInt64(count) - 1)
            do {
                let errors = try hypervisor.addToPhysmapBatch(
                    borrower: borrower, owner: target.owner, space: space.space(for: borrower),
                    ownerGFN: target.ownerFirstGFN + done,
                    borrowerGFN: borrowerGFN, count: count)
                guard errors.count == count else {
                    failure = HypervisorError(
                        code: .other, operation: "xc_domain_add_to_physmap_batch", errno: 0, borrower: borrower,
                        owner: target.owner, gfns: gfns)
                    break
                }
                var runStart: Int?
                for (index, errno) in errors.enumerated() {
                    if errno == 0 {
                        if runStart == nil { runStart = index }
                        continue
                    }
                    if let start = runStart {
                        mapped.append((borrowerGFN + UInt64(start))..<(borrowerGFN + UInt64(index)))
                    }
                    runStart = nil
                    if failure == nil {
                        let gfn = borrowerGFN + UInt64(index)
                        failure = HypervisorError(
                            operation: "xc_domain_add_to_physmap_batch", errno: abs(errno), borrower: borrower,
                            owner: target.owner, gfns: gfn...gfn)
                    }
                }
                if let start = runStart { mapped.append((borrowerGFN + UInt64(start))..<(borrowerGFN + UInt64(count))) }
            } catch let error as HypervisorError {
                var error = error
                error.borrower = error.borrower ?? borrower
                error.owner = error.owner ?? target.owner
                error.gfns = error.gfns ?? gfns
                failure = error
            } catch {
                failure = HypervisorError(
                    code: .other, operation: "xc_domain_add_to_physmap_batch", errno: 0, borrower: borrower,
                    owner: target.owner, gfns: gfns)
            }
            done += UInt64(count)
        }
        guard let failure else { return }
        throw MapFailure(cause: failure, stuck: rollBack(borrower, mapped))
    }

    /// Unmaps every range of `mapped`, each one even when another could not be: an error stops only its own range.
    /// - Returns: the error of each range that stays (partly) mapped.
    private func rollBack(_ borrower: DomID, _ mapped: [Range<UInt64>]) -> [HypervisorError] {
        mapped.compactMap { range -> HypervisorError? in
            do throws(HypervisorError) {
                try unmap(borrower, range)
                return nil
            } catch {
                var error = error
                error.gfns = range.lowerBound...(range.upperBound - 1)
                return error
            }
        }
    }

    /// Unmaps every page of `frames` (one call per page on Xen); pages that were not mapped (ENOENT) are fine, and
    /// so is a borrower that is gone (its memory went with it).
    func unmap(_ borrower: DomID, _ frames: Range<UInt64>) throws(HypervisorError) {
        guard let first = frames.first, let last = frames.last else { return }
        do {
            _ = try hypervisor.removeFromPhysmap(borrower: borrower, gfns: frames)
        } catch let error as HypervisorError {
            if error.code == .domainGone { return }
            var error = error
            error.borrower = error.borrower ?? borrower
            error.gfns = error.gfns ?? first...last
            throw error
        } catch {
            throw HypervisorError(
                code: .other, operation: "xc_domain_remove_from_physmap", errno: 0, borrower: borrower,
                gfns: first...last)
        }
    }
}
