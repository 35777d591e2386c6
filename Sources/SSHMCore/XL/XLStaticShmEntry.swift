/// One `static_shm` entry of one domain: `"id=ID, role=owner, begin=0x…, size=0x…, …"`.
package struct XLStaticShmEntry: Hashable, Sendable {
    package var domain: String
    package var id: Located<String>
    package var role: Role
    package var begin: UInt64?
    package var size: UInt64?
    package var offset: UInt64?
    package var prot: String?
    package var cachePolicy: String?
    /// The string literal in the config.
    package var location: SourceLocation
    /// Where each `key=` was written, by key.
    package var keyLocations: [String: SourceLocation] = [:]

    package static let keys = ["id", "role", "begin", "size", "offset", "prot", "cache_policy"]

    /// Parses one entry the way the series' `xlu_sshm_parse` does, but reports every problem with its column.
    ///
    /// `role` defaults to borrower, as in the series; `master`/`slave` are read as `owner`/`borrower`.
    package static func parse(
        _ spec: String, domain: String, at location: SourceLocation
    ) -> (entry: XLStaticShmEntry?, diagnostics: [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        var values: [String: Located<String>] = [:]
        // Keys written at all, valid or not: a bad value must not also be reported as missing.
        var written: Set<String> = []
        var offset = 0
        let parts = spec.split(separator: ",", omittingEmptySubsequences: false)
        for (index, part) in parts.enumerated() {
            defer { offset += part.count + 1 }
            let at = SourceLocation(
                file: location.file, line: location.line,
                column: location.column + 1 + offset + part.prefix { $0 == " " || $0 == "\t" }.count)
            let trimmed = part.trimmingBlanks
            if trimmed.isEmpty {
                if index == parts.count - 1, index > 0 { continue }
                diagnostics.append(
                    Diagnostic(.error, "empty setting in the static_shm entry; remove the extra comma", at: at))
                continue
            }
            guard let equals = trimmed.firstIndex(of: "=") else {
                diagnostics.append(
                    Diagnostic(
                        .error, "expected key=value, found \(MessageText.quote(trimmed)); write e.g. id=ID1", at: at))
                continue
            }
            let key = String(trimmed[..<equals].trimmingBlanks)
            let rawValue = trimmed[trimmed.index(after: equals)...]
            let value = String(rawValue.trimmingBlanks)
            // Findings about a value point at the value, as they do in YAML.
            let valueAt = SourceLocation(
                file: at.file, line: at.line,
                column: at.column + trimmed.distance(from: trimmed.startIndex, to: rawValue.startIndex)
                    + rawValue.prefix { $0 == " " || $0 == "\t" }.count)
            guard keys.contains(key) else {
                let hint =
                    NearMiss.suggestion(for: key, among: keys).map { "did you mean \(MessageText.quote($0))?" }
                    ?? "the keys are \(MessageText.list(keys))"
                diagnostics.append(
                    Diagnostic(.error, "unknown static_shm key \(MessageText.quote(key)); \(hint)", at: at))
                continue
            }
            written.insert(key)
            guard !value.isEmpty, !value.contains(where: { $0 == " " || $0 == "\t" || $0 == "=" }) else {
                diagnostics.append(
                    Diagnostic(
                        .error,
                        "expected one word after '\(key)=', found \(MessageText.quote(value)); separate settings with "
                            + "commas",
                        at: valueAt))
                continue
            }
            guard values[key] == nil else {
                diagnostics.append(
                    Diagnostic(.error, "\(MessageText.quote(key)) is given twice in this entry; keep one", at: at))
                continue
            }
            values[key] = Located(value, at: valueAt)
        }
        guard let id = values["id"] else {
            if !written.contains("id") {
                diagnostics.append(Diagnostic(.error, "the static_shm entry has no id; add id=NAME", at: location))
            }
            return (nil, diagnostics)
        }
        var entry = XLStaticShmEntry(domain: domain, id: id, role: .borrower, location: location)
        entry.keyLocations = values.mapValues(\.location)
        if let role = values["role"] {
            switch role.value {
            case "owner", "master": entry.role = .owner
            case "borrower", "slave": entry.role = .borrower
            default:
                diagnostics.append(
                    Diagnostic(
                        .error,
                        "role must be owner or borrower (or the older master or slave), found "
                            + MessageText.quote(role.value),
                        at: role.location))
            }
        }
        for key in ["begin", "size", "offset"] {
            guard let text = values[key] else { continue }
            guard let number = xlNumber(text.value) else {
                diagnostics.append(
                    Diagnostic(
                        .error,
                        "expected a number such as 0x100000 or 1048576 for \(key), found "
                            + MessageText.quote(text.value),
                        at: text.location))
                continue
            }
            switch key {
            case "begin": entry.begin = number
            case "size": entry.size = number
            default: entry.offset = number
            }
        }
        entry.prot = values["prot"]?.value
        entry.cachePolicy = values["cache_policy"]?.value
        if !written.contains("begin") {
            diagnostics.append(Diagnostic(.error, "the static_shm entry has no begin; add begin=0x…", at: location))
        }
        let failed = diagnostics.contains { $0.severity == .error }
        return (failed ? nil : entry, diagnostics)
    }

    /// xl's numbers: `0x` hex or decimal, as `strtoull` with base 16 or 10 reads them (leading zeros are decimal).
    static func xlNumber(_ text: String) -> UInt64? {
        if text.hasPrefix("0x") {
            let digits = text.dropFirst(2)
            guard digits.allSatisfy(\.isHexDigit) else { return nil }
            return UInt64(digits, radix: 16)
        }
        guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return UInt64(text, radix: 10)
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    var trimmingBlanks: SubSequence {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
