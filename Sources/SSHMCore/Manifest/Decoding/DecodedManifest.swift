/// A value and where it was written.
package struct Located<Value> {
    package var value: Value
    package var location: SourceLocation

    package init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

extension Located: Sendable where Value: Sendable {}
extension Located: Equatable where Value: Equatable {}
extension Located: Hashable where Value: Hashable {}

/// A guest-physical range one region occupies in one domain: what the overlap rule compares.
package struct GuestRange: Hashable, Sendable {
    /// Canonical (`Domain-0` is domid 0).
    package var domain: DomainRef
    package var begin: UInt64
    package var size: UInt64
    package var role: Role
    package var region: RegionID
    /// Where `begin` was written.
    package var location: SourceLocation

    /// Exclusive end; validation guarantees it fits in 64 bits.
    package var end: UInt64 { begin + size }
}

/// A region that passed every rule of its own file, with the ranges the cross-file rules need.
package struct DecodedRegion: Hashable, Sendable {
    package var region: Region
    /// The owner's range first, then each borrower's.
    package var ranges: [GuestRange]
}

/// What one file said, before the rules that look across files.
package struct DecodedManifest: Sendable {
    /// Regions with no error of their own, in file order.
    package var regions: [DecodedRegion] = []
    /// The id of every region that has a well-formed id, valid or not, in file order.
    package var declaredIDs: [Located<RegionID>] = []
    package var diagnostics: [Diagnostic] = []

    package var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}
