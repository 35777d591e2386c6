/// The owner as written, each field checked on its own.
struct DecodedOwner {
    var domain: Located<DomainRef>
    var begin: Located<GuestAddress>
    var size: Located<ByteSize>
    var prot: Located<Prot>?
    var cachePolicy: Located<CachePolicy>?
}

/// One borrower as written, each field checked on its own; defaults are applied by the region rules.
struct DecodedBorrower {
    var domain: Located<DomainRef>
    var begin: Located<GuestAddress>
    var offset: Located<Offset>?
    var size: Located<ByteSize>?
    var prot: Located<Prot>?
    var doorbell: Located<Bool>?
}

/// Messages for required keys that are missing.
private enum Missing {
    static let ownerDomain = "the owner has no 'domain'; add the name or domid of the domain whose RAM backs the region"
    static let ownerBegin =
        "the owner has no 'begin'; add the guest-physical address of the RAM it shares, such as 0x7fe00000"
    static let ownerSize = "the owner has no 'size'; add the region's size, such as 2MiB"
    static let borrowerDomain = "a borrower has no 'domain'; add the name or domid of the borrowing domain"
    static let borrowerBegin =
        "a borrower has no 'begin'; add the guest-physical address where it sees the region, a hole in its memory map"
}

extension ManifestDecoder {
    mutating func decodeRegion(_ node: YAMLNode) {
        guard let mapping = mapping(node, of: "a region (a mapping with id, owner and borrowers)") else { return }
        let errorsBefore = errorCount
        let fields = fields(of: mapping, .region)
        var id: Located<RegionID>?
        if let field = fields["id"] {
            id = readRegionID(field.value)
        } else {
            error("the region has no 'id'; add 'id: NAME' (letters, digits, '_' and '-')", at: node)
        }
        if let id { result.declaredIDs.append(id) }
        let name = id.map { "region \(MessageText.quote($0.value.rawValue))" } ?? "the region"
        var owner: DecodedOwner?
        if let field = fields["owner"] {
            owner = decodeOwner(field.value)
        } else {
            error("\(name) has no 'owner'; add an owner with domain, begin and size", at: node)
        }
        var doorbell: Located<Bool>?
        if let field = fields["doorbell"] { doorbell = boolean(field.value) }
        var borrowers: [DecodedBorrower] = []
        if let field = fields["borrowers"],
            let items = sequence(
                field.value, of: "a list of borrowers (each item starts with '- domain:')",
                emptyHint: "'borrowers: []'")
        {
            for item in items where !outOfTime(at: item) {
                if let borrower = decodeBorrower(item) { borrowers.append(borrower) }
            }
        }
        guard errorCount == errorsBefore, let id, let owner else { return }
        if let region = applyRules(id: id, owner: owner, borrowers: borrowers, doorbell: doorbell),
            errorCount == errorsBefore
        {
            result.regions.append(region)
        }
    }

    private mutating func decodeOwner(_ node: YAMLNode) -> DecodedOwner? {
        guard let mapping = mapping(node, of: "the owner (a mapping with domain, begin and size)") else { return nil }
        let errorsBefore = errorCount
        let fields = fields(of: mapping, .owner)
        var domain: Located<DomainRef>?
        var begin: Located<GuestAddress>?
        var size: Located<ByteSize>?
        var prot: Located<Prot>?
        var cachePolicy: Located<CachePolicy>?
        if let node = value(of: fields["domain"], at: node, Missing.ownerDomain) { domain = readDomain(node) }
        if let node = value(of: fields["begin"], at: node, Missing.ownerBegin) { begin = readAddress(node) }
        if let node = value(of: fields["size"], at: node, Missing.ownerSize) { size = readSize(node) }
        if let field = fields["prot"] { prot = readProt(field.value) }
        if let field = fields["cache_policy"] { cachePolicy = readCachePolicy(field.value) }
        guard errorCount == errorsBefore, let domain, let begin, let size else { return nil }
        return DecodedOwner(domain: domain, begin: begin, size: size, prot: prot, cachePolicy: cachePolicy)
    }

    private mutating func decodeBorrower(_ node: YAMLNode) -> DecodedBorrower? {
        guard let mapping = mapping(node, of: "a borrower (a mapping with domain and begin)") else { return nil }
        let errorsBefore = errorCount
        let fields = fields(of: mapping, .borrower)
        var domain: Located<DomainRef>?
        var begin: Located<GuestAddress>?
        var offset: Located<Offset>?
        var size: Located<ByteSize>?
        var prot: Located<Prot>?
        var doorbell: Located<Bool>?
        if let node = value(of: fields["domain"], at: node, Missing.borrowerDomain) { domain = readDomain(node) }
        if let node = value(of: fields["begin"], at: node, Missing.borrowerBegin) { begin = readAddress(node) }
        if let field = fields["offset"] { offset = readOffset(field.value) }
        if let field = fields["size"] { size = readSize(field.value) }
        if let field = fields["prot"] { prot = readProt(field.value) }
        if let field = fields["doorbell"] { doorbell = boolean(field.value) }
        guard errorCount == errorsBefore, let domain, let begin else { return nil }
        return DecodedBorrower(
            domain: domain, begin: begin, offset: offset, size: size, prot: prot, doorbell: doorbell)
    }

    /// The field's value node, or an error saying it is missing.
    private mutating func value(of field: Field?, at node: YAMLNode, _ missing: String) -> YAMLNode? {
        guard let field else {
            error(missing, at: node)
            return nil
        }
        return field.value
    }

    // MARK: - Fields

    private mutating func readRegionID(_ node: YAMLNode) -> Located<RegionID>? {
        guard let text = scalarText(node, expected: "a region id such as telemetry") else { return nil }
        let quoted = MessageText.quote(text.value)
        guard let id = RegionID(text.value) else {
            if text.value.unicodeScalars.count > RegionID.maxLength {
                error(
                    "region id \(quoted) is longer than \(RegionID.maxLength) characters; shorten it",
                    at: text.location)
            } else {
                let fixed = String(text.value.unicodeScalars.map { RegionID.isValid(String($0)) ? Character($0) : "_" })
                error(
                    "region id \(quoted) may contain only letters, digits, '_' and '-'; write "
                        + "\(MessageText.quote(fixed.isEmpty ? "telemetry" : fixed))",
                    at: text.location)
            }
            return nil
        }
        if text.value.count > RegionID.deviceTreeMaxLength {
            warning(
                "region id \(quoted) is longer than \(RegionID.deviceTreeMaxLength) characters, the limit of "
                    + "device trees (dom0less xen,shm-id, export --format dts); shorten it if a device tree must describe it",
                at: text.location)
        }
        return Located(id, at: text.location)
    }

    private mutating func readDomain(_ node: YAMLNode) -> Located<DomainRef>? {
        guard let text = scalarText(node, expected: "a domain name such as sensor-vm or a domid such as 5") else {
            return nil
        }
        let quoted = MessageText.quote(text.value)
        switch DomainGrammar.parse(text.value) {
        case .success(let domain):
            return Located(domain, at: text.location)
        case .failure(.empty):
            error("expected a domain name such as sensor-vm or a domid such as 5, found \(quoted)", at: text.location)
        case .failure(.leadingZero):
            let trimmed = text.value.drop { $0 == "0" }
            error("domid \(quoted) has a leading zero; write \(trimmed.isEmpty ? "0" : trimmed)", at: text.location)
        case .failure(.reserved):
            error(
                "domid \(quoted) is reserved for Xen (\(DomID.firstReserved) and above); write a domid below "
                    + "\(DomID.firstReserved) or the domain's name",
                at: text.location)
        case .failure(.badName):
            error(
                "\(quoted) is not a domain name; write a name of letters, digits, '.', '_' and '-' (at most "
                    + "\(DomainGrammar.maxNameLength), not starting with '-' or '.') or a domid",
                at: text.location)
        }
        return nil
    }

    private mutating func readAddress(_ node: YAMLNode) -> Located<GuestAddress>? {
        guard let value = number(node, .address), aligned(value, field: "begin", format: NumberFormat.hex),
            let address = GuestAddress(value.value)
        else { return nil }
        return Located(address, at: value.location)
    }

    private mutating func readOffset(_ node: YAMLNode) -> Located<Offset>? {
        guard let value = number(node, .offset), aligned(value, field: "offset", format: NumberFormat.hex),
            let offset = Offset(value.value)
        else { return nil }
        return Located(offset, at: value.location)
    }

    private mutating func readSize(_ node: YAMLNode) -> Located<ByteSize>? {
        guard let value = number(node, .size) else { return nil }
        guard value.value != 0 else {
            error("size cannot be zero; write at least 4KiB (one page)", at: value.location)
            return nil
        }
        guard aligned(value, field: "size", format: NumberFormat.size), let size = ByteSize(value.value) else {
            return nil
        }
        return Located(size, at: value.location)
    }

    private mutating func aligned(_ value: Located<UInt64>, field: String, format: (UInt64) -> String) -> Bool {
        guard !Page.isAligned(value.value) else { return true }
        let below = value.value & ~(Page.size - 1)
        let (above, overflow) = below.addingReportingOverflow(Page.size)
        var choices: [String] = []
        if below != 0 || field != "size" { choices.append(format(below)) }
        if !overflow { choices.append(format(above)) }
        error(
            "\(field) \(NumberFormat.hex(value.value)) is not a multiple of the 4 KiB page size; write "
                + MessageText.list(choices, conjunction: "or"),
            at: value.location)
        return false
    }

    private mutating func readProt(_ node: YAMLNode) -> Located<Prot>? {
        guard let text = scalarText(node, expected: "'rw' or 'ro'") else { return nil }
        guard let prot = Prot(rawValue: text.value) else {
            let hint = NearMiss.suggestion(for: text.value, among: ["rw", "ro"]).map { "; did you mean '\($0)'?" }
            error("expected 'rw' or 'ro', found \(MessageText.quote(text.value))\(hint ?? "")", at: text.location)
            return nil
        }
        if prot == .ro {
            warning(
                "'prot: ro' is recorded for the guests, but Xen maps the pages writable anyway (it cannot enforce "
                    + "read-only); rely on the guests to honour it",
                at: text.location)
        }
        return Located(prot, at: text.location)
    }

    private mutating func readCachePolicy(_ node: YAMLNode) -> Located<CachePolicy>? {
        let names = CachePolicy.allCases.map(\.rawValue)
        guard let text = scalarText(node, expected: MessageText.list(names, conjunction: "or")) else { return nil }
        guard let policy = CachePolicy(rawValue: text.value) else {
            let hint = NearMiss.suggestion(for: text.value, among: names).map { "; did you mean '\($0)'?" }
            error(
                "expected \(MessageText.list(names, conjunction: "or")), found \(MessageText.quote(text.value))"
                    + (hint ?? ""),
                at: text.location)
            return nil
        }
        if arch == .arm64, policy == .x86Normal {
            error(
                "cache_policy x86_normal is not allowed on arm64, where guests share memory only as Normal "
                    + "write-back; write ARM_normal",
                at: text.location)
            return nil
        }
        if archIsKnown, arch == .x86_64, policy == .armNormal {
            warning(
                "cache_policy ARM_normal is for arm64 hosts and the host is x86_64, where it is only recorded for "
                    + "the guests; write x86_normal (or leave it out) unless this manifest also serves arm64 hosts",
                at: text.location)
        }
        return Located(policy, at: text.location)
    }
}
