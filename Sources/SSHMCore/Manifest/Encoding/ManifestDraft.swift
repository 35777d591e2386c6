/// A manifest to be written out: regions whose fields may still be missing or wrong.
///
/// `import-xl` builds drafts from xl configs and lets the validator judge them; validated regions become drafts
/// with every field present. `origin` records where an entry came from, so a finding in the generated YAML can
/// be reported at the input that caused it.
package struct ManifestDraft: Hashable, Sendable {
    package var headerComments: [String]
    package var regions: [RegionDraft]

    package init(headerComments: [String] = [], regions: [RegionDraft]) {
        self.headerComments = headerComments
        self.regions = regions
    }

    /// Every region with all of its defaults written out.
    package init(headerComments: [String] = [], regions: [Region]) {
        self.init(headerComments: headerComments, regions: regions.map(RegionDraft.init))
    }
}

package struct RegionDraft: Hashable, Sendable {
    package var id: String
    package var owner: EndpointDraft?
    package var borrowers: [EndpointDraft]
    package var origin: SourceLocation?

    package init(id: String, owner: EndpointDraft?, borrowers: [EndpointDraft], origin: SourceLocation? = nil) {
        self.id = id
        self.owner = owner
        self.borrowers = borrowers
        self.origin = origin
    }

    package init(_ region: Region) {
        let owner = region.owner
        self.init(
            id: region.id.rawValue,
            owner: EndpointDraft(
                domain: owner.domain, begin: owner.begin.rawValue, size: owner.size.rawValue, prot: owner.prot.rawValue,
                cachePolicy: owner.cachePolicy.rawValue),
            borrowers: region.borrowers.map { borrower in
                EndpointDraft(
                    domain: borrower.domain, begin: borrower.begin.rawValue, offset: borrower.offset.rawValue,
                    size: borrower.size.rawValue, prot: borrower.prot.rawValue, doorbell: borrower.doorbell)
            })
    }
}

/// An owner or a borrower; `nil` fields are left out of the YAML.
package struct EndpointDraft: Hashable, Sendable {
    package var domain: DomainRef
    package var begin: UInt64?
    package var offset: UInt64?
    package var size: UInt64?
    package var prot: String?
    package var cachePolicy: String?
    /// A borrower's only.
    package var doorbell: Bool?
    package var origin: SourceLocation?
    /// A trailing comment on the entry's first line, such as where it came from.
    package var comment: String?
    /// Where each field came from, by YAML key (`begin`, `size`, …), for findings about that field.
    package var fieldOrigins: [String: SourceLocation] = [:]

    package init(
        domain: DomainRef, begin: UInt64? = nil, offset: UInt64? = nil, size: UInt64? = nil, prot: String? = nil,
        cachePolicy: String? = nil, doorbell: Bool? = nil, origin: SourceLocation? = nil, comment: String? = nil
    ) {
        self.domain = domain
        self.begin = begin
        self.offset = offset
        self.size = size
        self.prot = prot
        self.cachePolicy = cachePolicy
        self.doorbell = doorbell
        self.origin = origin
        self.comment = comment
    }
}
