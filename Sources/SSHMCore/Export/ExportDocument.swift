/// `export --format json`: the facts of the other formats for scripts, in the conventions of the tool's JSON
/// (`format_version`, snake_case keys, numbers as numbers, absent values as `null`). Schema:
/// `docs/schemas/export.schema.json`.
package struct ExportDocument: Encodable, Hashable, Sendable {
    package static let formatVersion = 1

    /// A domain as a name and a domid, either `null` when not known.
    package struct DomainIdentity: Encodable, Hashable, Sendable {
        package var name: String?
        package var domid: UInt32?

        init(name: String?, domid: DomID?) {
            self.name = name
            self.domid = domid?.rawValue
        }

        /// A manifest's reference: the name or the domid it was written with.
        init(_ reference: DomainRef) {
            switch reference {
            case .name(let name): self.init(name: name, domid: nil)
            case .id(let domid): self.init(name: nil, domid: domid)
            }
        }

        private enum CodingKeys: String, CodingKey { case name, domid }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(domid, forKey: .domid)
        }
    }

    package struct Source: Encodable, Hashable, Sendable {
        package var file: String
        package var line: Int
    }

    package struct Entry: Encodable, Hashable, Sendable {
        package var id: String
        package var role: String
        package var address: UInt64
        package var size: UInt64
        package var pages: UInt64
        package var offset: UInt64
        package var prot: String
        package var owner: DomainIdentity
        /// Whether this domain has a doorbell in this region: `doorbellPeers` is not empty.
        package var doorbell: Bool
        /// Who this domain shares a doorbell with here, as the manifest names them.
        package var doorbellPeers: [DomainIdentity]
        package var source: Source

        private enum CodingKeys: String, CodingKey {
            case id, role, address, size, pages, offset, prot, owner, doorbell, source
            case doorbellPeers = "doorbell_peers"
        }
    }

    package var formatVersion = Self.formatVersion
    package var domain: DomainIdentity
    package var configDir: String
    package var regions: [Entry]

    private enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case domain
        case configDir = "config_dir"
        case regions
    }

    package init(_ description: GuestDescription) {
        domain = DomainIdentity(name: description.name, domid: description.domid)
        configDir = description.configDirectory
        regions = description.regions.map { region in
            Entry(
                id: region.id.rawValue, role: region.role.rawValue, address: region.address.rawValue,
                size: region.size.rawValue, pages: region.size.pages, offset: region.offset.rawValue,
                prot: region.prot.rawValue, owner: DomainIdentity(region.owner), doorbell: region.hasDoorbell,
                doorbellPeers: region.doorbellPeers.map { DomainIdentity($0) },
                source: Source(file: region.location.file, line: region.location.line))
        }
    }
}
