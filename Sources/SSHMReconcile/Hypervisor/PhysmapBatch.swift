import SSHMCore

/// The one place that turns a raw `xc_domain_add_to_physmap_batch` result into the port's answer.
///
/// When the whole call fails, libxenctrl still copies its (never written) bounce buffer back into `errs`, so they
/// hold whatever the caller put there — often zeros that look like success. They are read only when `rc == 0`.
package enum PhysmapBatch {
    /// - Parameters:
    ///   - rc: the call's return value.
    ///   - errno: `errno` right after the call.
    ///   - errs: the per-page results as the call left them (negative errno values, 0 = mapped).
    /// - Returns: positive errno per page, 0 = mapped.
    /// - Throws: ``HypervisorError`` for a whole-call failure.
    package static func interpret(
        rc: Int32, errno: Int32, errs: [Int32], borrower: DomID, owner: DomID, borrowerGFNs: ClosedRange<UInt64>
    ) throws(HypervisorError) -> [Int32] {
        guard rc == 0 else {
            throw HypervisorError(
                operation: "xc_domain_add_to_physmap_batch", errno: errno, borrower: borrower, owner: owner,
                gfns: borrowerGFNs)
        }
        return errs.map { $0 < 0 ? -$0 : $0 }
    }
}
