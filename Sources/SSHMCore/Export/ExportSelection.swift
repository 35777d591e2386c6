/// Picks one domain's regions out of the manifests: the pure part of `export`.
package enum ExportSelection {
    /// A manifest's reference that could be the exported domain, or not, depending on names xenstore knows.
    package struct Unresolved: Hashable, Sendable {
        package var reference: DomainRef
        package var region: RegionID
        package var location: SourceLocation

        /// `domid 6 (region 'rtos-log', /etc/sshm.d/10-rtos.yaml:3)`.
        package var description: String {
            "\(reference) (region \(MessageText.quote(region.rawValue)), \(location.file):\(location.line))"
        }
    }

    package enum Outcome: Hashable, Sendable {
        /// The domain's regions (possibly none), in manifest order.
        case regions([GuestRegion])
        /// These references name the domain the other way (a domid for a name, or a name for a domid): they can be
        /// matched only with `DomainNames`.
        case needsNames([Unresolved])
    }

    /// The regions `domain` takes part in, from the manifests alone: only references written the way `domain` is
    /// written (and Domain-0 as domid 0) can be compared.
    package static func select(_ domain: DomainRef, in regions: [Region]) -> Outcome {
        var found: [GuestRegion] = []
        var unresolved: [Unresolved] = []
        for (reference, view, region) in views(regions) {
            switch DomainNames.same(reference, domain) {
            case true?: found.append(view)
            case false?: break
            case nil: unresolved.append(Unresolved(reference: reference, region: region.id, location: region.location))
            }
        }
        return unresolved.isEmpty ? .regions(found) : .needsNames(unresolved)
    }

    /// The regions `domain` takes part in, a name and a domid matching when xenstore gives that domid that name.
    package static func select(_ domain: DomainRef, in regions: [Region], names: DomainNames) -> [GuestRegion] {
        views(regions).filter { names.same($0.reference, domain) }.map(\.view)
    }

    /// Every domain's view of every region, with the reference the manifest names it by.
    private static func views(_ regions: [Region]) -> [(reference: DomainRef, view: GuestRegion, region: Region)] {
        regions.flatMap { region in
            [(region.owner.domain, GuestRegion(owning: region), region)]
                + region.borrowers.map { ($0.domain, GuestRegion(borrowing: region, as: $0), region) }
        }
    }

    /// Keeps the regions named by `--region`; a name the manifests do not declare, or a region `domain` takes no
    /// part in, is a usage error (one sentence each).
    package static func only(
        _ ids: [RegionID], of regions: [GuestRegion], domain: DomainRef, declared: Set<RegionID>
    ) -> Result<[GuestRegion], UsageProblem> {
        guard !ids.isEmpty else { return .success(regions) }
        let involved = Set(regions.map(\.id))
        var problems: [String] = []
        for id in ids where !involved.contains(id) {
            let quoted = MessageText.quote(id.rawValue)
            problems.append(
                declared.contains(id)
                    ? "\(domain) takes no part in region \(quoted); drop --region \(id) or export the domain that does"
                    : "no manifest declares region \(quoted); check the id with 'sshm-reconcile validate'")
        }
        guard problems.isEmpty else { return .failure(UsageProblem(messages: problems)) }
        let wanted = Set(ids)
        return .success(regions.filter { wanted.contains($0.id) })
    }

    /// A domain that takes part in one region twice, as its owner and a borrower or as two borrowers: possible
    /// only when the manifests name it once by name and once by domid, which validation cannot relate.
    package static func duplicates(_ regions: [GuestRegion], domain: DomainRef) -> [Diagnostic] {
        var seen: Set<RegionID> = []
        var diagnostics: [Diagnostic] = []
        for region in regions where !seen.insert(region.id).inserted {
            diagnostics.append(
                Diagnostic(
                    .error,
                    "\(domain) takes part in region \(MessageText.quote(region.id.rawValue)) twice (named once by "
                        + "name and once by domid); name it one way in the region",
                    at: region.location))
        }
        return diagnostics
    }
}

/// Command-line mistakes found while selecting: each message is one sentence saying what to do.
package struct UsageProblem: Error, Hashable, Sendable {
    package var messages: [String]
}
