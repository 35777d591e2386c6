/// The rules that relate the fields of one region: defaults, offsets within the owner, prot, who may borrow.
extension ManifestDecoder {
    /// Applies defaults and the rules of docs/design.md ("Manifests") that need the whole region; `nil` when any of
    /// them fails. `doorbell` is the region's, the default of its borrowers.
    mutating func applyRules(
        id: Located<RegionID>, owner: DecodedOwner, borrowers: [DecodedBorrower], doorbell: Located<Bool>?
    ) -> DecodedRegion? {
        let errorsBefore = errorCount
        let quotedID = MessageText.quote(id.value.rawValue)
        let ownerSpec = OwnerSpec(
            domain: owner.domain.value, begin: owner.begin.value, size: owner.size.value,
            prot: owner.prot?.value ?? .rw, cachePolicy: owner.cachePolicy?.value ?? .default(for: arch))
        checkFits(begin: owner.begin, size: ownerSpec.size, role: "owner")
        var ranges = [
            GuestRange(
                domain: owner.domain.value.canonical, begin: ownerSpec.begin.rawValue, size: ownerSpec.size.rawValue,
                role: .owner, region: id.value, location: owner.begin.location)
        ]
        var specs: [BorrowerSpec] = []
        var firstBorrowing: [DomainRef: Located<DomainRef>] = [:]
        for borrower in borrowers {
            let domain = borrower.domain
            let canonical = domain.value.canonical
            if canonical == ownerSpec.domain.canonical {
                error(
                    "\(domain.value) owns region \(quotedID) and cannot also borrow it; remove this borrower",
                    at: domain.location)
                note("\(owner.domain.value) is the owner here", at: owner.domain.location)
                continue
            }
            if let first = firstBorrowing[canonical] {
                error(
                    "\(domain.value) borrows region \(quotedID) twice; merge the two entries into one",
                    at: domain.location)
                note("\(first.value) first borrows \(quotedID) here", at: first.location)
                continue
            }
            firstBorrowing[canonical] = domain
            guard let spec = borrowerSpec(borrower, owner: ownerSpec, doorbell: doorbell?.value ?? false) else {
                continue
            }
            specs.append(spec)
            ranges.append(
                GuestRange(
                    domain: canonical, begin: spec.begin.rawValue, size: spec.size.rawValue, role: .borrower,
                    region: id.value, location: borrower.begin.location))
        }
        guard errorCount == errorsBefore else { return nil }
        let region = Region(id: id.value, owner: ownerSpec, borrowers: specs, location: id.location)
        return DecodedRegion(region: region, ranges: ranges)
    }

    /// The borrower with defaults applied (`offset` 0, `size` what is left of the owner, `prot` the owner's,
    /// `doorbell` the region's).
    private mutating func borrowerSpec(
        _ borrower: DecodedBorrower, owner: OwnerSpec, doorbell regionDoorbell: Bool
    ) -> BorrowerSpec? {
        let offset = borrower.offset?.value ?? .zero
        let ownerSize = owner.size.rawValue
        guard offset.rawValue < ownerSize else {
            error(
                "offset \(offset) is outside the owner's \(NumberFormat.hex(ownerSize)) bytes; write an offset below "
                    + NumberFormat.hex(ownerSize),
                at: borrower.offset?.location ?? borrower.domain.location)
            return nil
        }
        let available = ownerSize - offset.rawValue
        let size: ByteSize
        if let given = borrower.size {
            guard given.value.rawValue <= available else {
                error(
                    "offset \(offset) + size \(given.value) reaches past the end of the owner's "
                        + "\(NumberFormat.hex(ownerSize)) bytes; write a size of at most "
                        + NumberFormat.size(available),
                    at: given.location)
                return nil
            }
            size = given.value
        } else if let rest = ByteSize(available) {
            size = rest
        } else {
            return nil
        }
        let prot = borrower.prot?.value ?? owner.prot
        if let asked = borrower.prot, asked.value > owner.prot {
            let granted = owner.prot.rawValue
            error(
                "a borrower cannot have 'prot: \(asked.value.rawValue)' when the owner grants only '\(granted)'; "
                    + "write 'prot: \(granted)' or raise the owner's prot",
                at: asked.location)
            return nil
        }
        guard checkFits(begin: borrower.begin, size: size, role: "borrower") else { return nil }
        return BorrowerSpec(
            domain: borrower.domain.value, begin: borrower.begin.value, offset: offset, size: size, prot: prot,
            doorbell: borrower.doorbell?.value ?? regionDoorbell)
    }

    /// `begin + size` must fit in 64 bits: the range's exclusive end is computed everywhere after this.
    @discardableResult
    private mutating func checkFits(begin: Located<GuestAddress>, size: ByteSize, role: String) -> Bool {
        guard begin.value.adding(size) == nil else { return true }
        error(
            "the \(role)'s range \(begin.value) + \(size) does not fit in 64 bits; write a begin of at most "
                + NumberFormat.hex(0 &- size.rawValue &- Page.size),
            at: begin.location)
        return false
    }
}
