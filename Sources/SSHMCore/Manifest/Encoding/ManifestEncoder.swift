/// Writes manifests as YAML that the decoder reads back to the same regions.
///
/// Addresses and offsets are hex, sizes use binary units (`2MiB`), domains are names or domids, and any scalar a
/// YAML 1.1 reader could mistake for another type is quoted.
package enum ManifestEncoder {
    /// The YAML text and, for each line that starts an entry with an `origin`, that origin (1-based lines).
    package struct Output: Hashable, Sendable {
        package var text: String
        package var origins: [Int: SourceLocation]

        /// The origin of the entry that `line` belongs to: the nearest origin at or above it.
        package func origin(ofLine line: Int) -> SourceLocation? {
            origins.filter { $0.key <= line }.max { $0.key < $1.key }?.value
        }
    }

    /// Validated regions as a complete manifest.
    package static func encode(_ regions: [Region], headerComments: [String] = []) -> String {
        encode(ManifestDraft(headerComments: headerComments, regions: regions)).text
    }

    package static func encode(_ draft: ManifestDraft) -> Output {
        var writer = Writer()
        for comment in draft.headerComments { writer.line("# \(comment)") }
        writer.line("version: 1")
        guard !draft.regions.isEmpty else {
            writer.line("regions: []")
            return writer.output
        }
        writer.line("regions:")
        for region in draft.regions {
            writer.line("  - id: \(scalar(region.id))", origin: region.origin)
            if let owner = region.owner {
                writer.line("    owner:" + trailing(owner.comment), origin: owner.origin)
                fields(of: owner, indent: "      ", into: &writer)
            }
            guard !region.borrowers.isEmpty else { continue }
            writer.line("    borrowers:")
            for borrower in region.borrowers {
                writer.line(
                    "      - domain: \(domain(borrower.domain))" + trailing(borrower.comment), origin: borrower.origin)
                fields(of: borrower, indent: "        ", skipDomain: true, into: &writer)
            }
        }
        return writer.output
    }

    private static func fields(
        of endpoint: EndpointDraft, indent: String, skipDomain: Bool = false, into writer: inout Writer
    ) {
        let origins = endpoint.fieldOrigins
        if !skipDomain { writer.line("\(indent)domain: \(domain(endpoint.domain))", origin: origins["domain"]) }
        if let begin = endpoint.begin {
            writer.line("\(indent)begin: \(NumberFormat.hex(begin))", origin: origins["begin"])
        }
        if let offset = endpoint.offset {
            writer.line("\(indent)offset: \(offset == 0 ? "0" : NumberFormat.hex(offset))", origin: origins["offset"])
        }
        if let size = endpoint.size {
            writer.line("\(indent)size: \(NumberFormat.size(size))", origin: origins["size"])
        }
        if let prot = endpoint.prot { writer.line("\(indent)prot: \(scalar(prot))", origin: origins["prot"]) }
        if let policy = endpoint.cachePolicy {
            writer.line("\(indent)cache_policy: \(scalar(policy))", origin: origins["cache_policy"])
        }
        if let doorbell = endpoint.doorbell {
            writer.line("\(indent)doorbell: \(doorbell)", origin: origins["doorbell"])
        }
    }

    private static func trailing(_ comment: String?) -> String {
        guard let comment, !comment.isEmpty else { return "" }
        return "  # " + comment.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    static func domain(_ domain: DomainRef) -> String {
        switch domain {
        case .id(let id): String(id.rawValue)
        case .name(let name): scalar(name)
        }
    }

    /// `text` plain when every YAML reader takes it as this string, else single-quoted.
    static func scalar(_ text: String) -> String {
        let plainSafe = text.utf8.allSatisfy(DomainGrammar.isNameByte)
        let ambiguous: Set<String> = ["y", "n", "yes", "no", "true", "false", "on", "off", "null"]
        if let first = text.utf8.first, plainSafe, first != UInt8(ascii: "-"), first != UInt8(ascii: "."),
            !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first), !ambiguous.contains(text.lowercased())
        {
            return text
        }
        return "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") + "'"
    }

    private struct Writer {
        var lines: [String] = []
        var origins: [Int: SourceLocation] = [:]

        mutating func line(_ text: String, origin: SourceLocation? = nil) {
            lines.append(text)
            if let origin { origins[lines.count] = origin }
        }

        var output: Output { Output(text: lines.joined(separator: "\n") + "\n", origins: origins) }
    }
}
