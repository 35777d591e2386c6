/// The keys one kind of mapping accepts.
struct FieldSet {
    /// How messages name the mapping: "the owner".
    let name: String
    let keys: [String]
    /// Deprecated spellings and the key they stand for.
    let aliases: [String: String]
    /// Keys that belong elsewhere, with the sentence that says where.
    let misplaced: [String: String]

    static let document = FieldSet(name: "the document", keys: ["version", "regions"], aliases: [:], misplaced: [:])
    static let region = FieldSet(
        name: "a region", keys: ["id", "owner", "borrowers", "doorbell"],
        aliases: ["master": "owner", "slaves": "borrowers"],
        misplaced: [
            "slave": "'slave' is not a key; list borrowers under 'borrowers:'",
            "borrower": "'borrower' is not a key; list borrowers under 'borrowers:'",
        ])
    static let owner = FieldSet(
        name: "the owner", keys: ["domain", "begin", "size", "prot", "cache_policy"], aliases: [:],
        misplaced: [
            "offset": "'offset' applies to borrowers only; remove it from the owner, whose region starts at "
                + "its 'begin'",
            "doorbell": "'doorbell' belongs to the region (for all its borrowers) or to one borrower; move it there",
        ])
    static let borrower = FieldSet(
        name: "a borrower", keys: ["domain", "begin", "offset", "size", "prot", "doorbell"], aliases: [:],
        misplaced: ["cache_policy": "'cache_policy' applies to the owner only; move it to the owner"])
}

/// One key of a mapping, after aliases were resolved.
struct Field {
    var key: YAMLNode
    var value: YAMLNode
}

/// What a number means, for messages.
enum NumberKind {
    case size
    case address
    case offset

    var expected: String {
        switch self {
        case .size: "a size such as 2MiB or 0x200000"
        case .address: "an address such as 0x7fe00000"
        case .offset: "an offset such as 0 or 0x100000"
        }
    }

    var noun: String {
        switch self {
        case .size: "a size"
        case .address: "an address"
        case .offset: "an offset"
        }
    }
}

extension ManifestDecoder {
    /// The known keys of `mapping` by canonical name; reports unknown, misplaced, merge and deprecated keys.
    mutating func fields(of mapping: [YAMLPair], _ set: FieldSet) -> [String: Field] {
        var found: [String: Field] = [:]
        for pair in mapping {
            let (key, value) = (pair.key, pair.value)
            guard case .scalar(let scalar) = key.content, !scalar.text.isEmpty else {
                error("keys must be words such as \(MessageText.quote(set.keys[0])), found \(key.found)", at: key)
                continue
            }
            let name = scalar.text
            let location = key.location(in: file)
            var canonical = name
            if name == "<<" {
                error("merge keys ('<<') are not allowed in manifests; write the keys out in full", at: location)
                continue
            } else if let target = set.aliases[name] {
                warning(
                    "\(MessageText.quote(name)) is a deprecated alias; write \(MessageText.quote(target))",
                    at: location)
                canonical = target
            } else if let message = set.misplaced[name] {
                error(message, at: location)
                continue
            } else if !set.keys.contains(name) {
                error(unknownKeyMessage(name, in: set), at: location)
                continue
            }
            if found[canonical] != nil {
                // Exact duplicates never get here (composing refuses them); this is a key and its alias.
                let alias = canonical == name ? set.aliases.first { $0.value == name }?.key ?? name : name
                error(
                    "\(MessageText.quote(canonical)) and its deprecated alias \(MessageText.quote(alias)) both "
                        + "appear; keep only \(MessageText.quote(canonical))",
                    at: location)
                continue
            }
            found[canonical] = Field(key: key, value: value)
        }
        return found
    }

    private func unknownKeyMessage(_ name: String, in set: FieldSet) -> String {
        let candidates = set.keys + set.aliases.keys.sorted() + set.misplaced.keys.sorted()
        if let suggestion = NearMiss.suggestion(for: name, among: candidates) {
            return
                "unknown key \(MessageText.quote(name)) in \(set.name); did you mean \(MessageText.quote(suggestion))?"
        }
        return "unknown key \(MessageText.quote(name)) in \(set.name); write \(MessageText.list(set.keys))"
    }

    /// The scalar's text, or an error naming what was expected.
    mutating func scalarText(_ node: YAMLNode, expected: String) -> Located<String>? {
        guard case .scalar(let scalar) = node.content, !node.isEmptyScalar else {
            error("expected \(expected), found \(node.found)", at: node)
            return nil
        }
        if let tag = scalar.tag, tag != "!", tag != "tag:yaml.org,2002:str" {
            error("YAML tags such as \(MessageText.quote(tag)) are not allowed in manifests; remove the tag", at: node)
            return nil
        }
        return Located(scalar.text, at: node.location(in: file))
    }

    mutating func mapping(_ node: YAMLNode, of expected: String) -> [YAMLPair]? {
        guard case .mapping(let mapping) = node.content else {
            error("expected \(expected), found \(node.found)", at: node)
            return nil
        }
        return mapping
    }

    mutating func sequence(_ node: YAMLNode, of expected: String, emptyHint: String) -> [YAMLNode]? {
        if node.isEmptyScalar {
            error("expected \(expected), found nothing; write \(emptyHint) for none", at: node)
            return nil
        }
        guard case .sequence(let sequence) = node.content else {
            error("expected \(expected), found \(node.found)", at: node)
            return nil
        }
        return sequence
    }

    /// A boolean: plain `true` or `false` and nothing else. YAML 1.1's `yes`, `on`, `1` and their kin, other
    /// spellings YAML 1.2 allows (`True`) and the string `"true"` are errors, so a manifest means the same to
    /// every YAML reader.
    mutating func boolean(_ node: YAMLNode) -> Located<Bool>? {
        guard let text = scalarText(node, expected: "true or false") else { return nil }
        let quoted = MessageText.quote(text.value)
        let meant = Self.booleans[text.value.lowercased()]
        // `"true"`, `'true'` and `!!str true` are strings to every YAML reader.
        guard case .scalar(let scalar) = node.content, scalar.isPlain, scalar.tag == nil else {
            let fix = meant.map { "; write \($0) without quotes" } ?? ""
            error("expected true or false, found the string \(quoted)\(fix)", at: text.location)
            return nil
        }
        switch (text.value, meant) {
        case ("true", _): return Located(true, at: text.location)
        case ("false", _): return Located(false, at: text.location)
        case (_, let meant?): error("expected true or false, found \(quoted); write \(meant)", at: text.location)
        case (_, nil): error("expected true or false, found \(quoted)", at: text.location)
        }
        return nil
    }

    /// What other YAML readers take for a boolean, by its lower-case spelling, and the value they give it.
    private static let booleans: [String: Bool] = [
        "true": true, "false": false, "yes": true, "no": false, "on": true, "off": false, "y": true, "n": false,
        "1": true, "0": false,
    ]

    /// A number by our grammar; alignment is checked by the caller, which knows the field.
    mutating func number(_ node: YAMLNode, _ kind: NumberKind) -> Located<UInt64>? {
        guard let text = scalarText(node, expected: kind.expected) else { return nil }
        let quoted = MessageText.quote(text.value)
        switch NumberGrammar.parse(text.value) {
        case .success(let value):
            return Located(value, at: text.location)
        case .failure(.empty), .failure(.malformed):
            error("expected \(kind.expected), found \(quoted)", at: text.location)
        case .failure(.negative):
            error("\(kind.noun) cannot be negative, found \(quoted); write \(kind.expected)", at: text.location)
        case .failure(.leadingZero):
            let digits = text.value.prefix { $0.isNumber }
            let decimal = String(digits.drop { $0 == "0" }.isEmpty ? "0" : digits.drop { $0 == "0" })
            let rest = text.value.dropFirst(digits.count)
            var message =
                "number \(quoted) has a leading zero, which YAML 1.1 tools read as octal; write \(decimal)\(rest)"
            if rest.isEmpty, let octal = NumberGrammar.octalValue(of: String(digits)), octal != UInt64(decimal) {
                message += " for decimal, or \(NumberFormat.hex(octal)) for octal \(digits)"
            }
            error(message, at: text.location)
        case .failure(.tooLarge):
            error("\(quoted) does not fit in 64 bits; write at most 0xffffffffffffffff", at: text.location)
        case .failure(.unknownUnit(let unit)):
            let digits = text.value.dropLast(unit.count)
            let fix = NumberGrammar.likelyUnit(for: unit).map { "write \(digits)\($0)" } ?? "write a unit"
            error(
                "unknown unit \(MessageText.quote(unit)) in \(quoted); \(fix) (units are KiB, MiB, GiB, and p for "
                    + "4 KiB pages)",
                at: text.location)
        }
        return nil
    }
}
