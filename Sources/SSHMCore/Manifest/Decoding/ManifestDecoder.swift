/// Decodes one manifest file's bytes into regions and diagnostics; pure.
///
/// The file is refused before composing when it is not UTF-8 or holds a byte-order mark past its start, and after
/// composing when it uses anchors or aliases; then each YAML document is decoded from composed nodes, which keep
/// 1-based positions, with every scalar read by our own grammar.
package struct ManifestDecoder {
    package static let supportedVersion = "1"
    /// Largest manifest decoded; the file reader refuses larger files before reading them whole.
    package static let maxFileSize = 16 << 20

    let file: String
    let arch: Arch
    /// Whether `arch` is the host's for sure (plan, apply, `validate --arch`): then a cache policy meant for another
    /// architecture is worth a warning. A manifest may be written for several hosts, so it is never an error.
    let archIsKnown: Bool
    let deadline: CheckDeadline
    var result = DecodedManifest()
    /// Set once the deadline passed: nothing more is decoded.
    private(set) var outOfTime = false
    /// Errors reported so far. A running count: the rules ask for it around every field, and counting the
    /// diagnostics each time made checking quadratic in the number of errors.
    private(set) var errorCount = 0

    package init(file: String, arch: Arch, archIsKnown: Bool = false, deadline: CheckDeadline = .never) {
        self.file = file
        self.arch = arch
        self.archIsKnown = archIsKnown
        self.deadline = deadline
    }

    /// Decodes a whole file, or as much of it as `deadline` allows (the file then has an error and freezes).
    package static func decode(
        _ bytes: [UInt8], file: String, arch: Arch, archIsKnown: Bool = false, deadline: CheckDeadline = .never
    ) -> DecodedManifest {
        var decoder = ManifestDecoder(file: file, arch: arch, archIsKnown: archIsKnown, deadline: deadline)
        decoder.decodeFile(bytes)
        return decoder.result
    }

    mutating func decodeFile(_ bytes: [UInt8]) {
        guard bytes.count <= Self.maxFileSize else {
            return result.diagnostics.append(Diagnostic(.error, Self.tooLarge(Self.maxFileSize), file: file))
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            let offset = TextPosition.firstInvalidUTF8(in: bytes) ?? 0
            let position = TextPosition.of(byteOffset: offset, in: bytes)
            let byte = offset < bytes.count ? String(bytes[offset], radix: 16, uppercase: true) : "?"
            return error("byte 0x\(byte) is not UTF-8 text; save the manifest as UTF-8", at: position)
        }
        // A byte-order mark may open the file, and libyaml then counts it in no column; anywhere else it would hide
        // inside a value (an id that looks like another) or shift what follows it.
        let yaml = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
        if let offset = TextPosition.firstByteOrderMark(in: yaml) {
            return error(
                "a byte-order mark (U+FEFF, invisible in most editors) may only open the file; delete this one",
                at: TextPosition.of(byteOffset: offset, in: yaml))
        }
        let composed = YAMLComposer.compose(yaml, file: file)
        if !composed.properties.isEmpty {
            for property in composed.properties { refuse(property) }
            return
        }
        let documents = composed.documents.filter { !$0.isEmptyScalar }
        for document in documents { decodeDocument(document) }
        result.diagnostics += composed.diagnostics
        if documents.isEmpty, composed.diagnostics.isEmpty {
            error(
                "the file holds no manifest; write 'version: 1' and 'regions: []' to declare no regions (an empty "
                    + "file is refused so that a truncated file never removes regions)",
                at: (1, 1))
        }
    }

    /// What a file larger than `limit` bytes is told.
    package static func tooLarge(_ limit: Int) -> String {
        "the file is larger than \(NumberFormat.size(UInt64(limit))); split it into several files"
    }

    private mutating func refuse(_ property: YAMLComposer.Property) {
        let location = SourceLocation(file: file, line: property.mark.line, column: property.mark.column)
        switch property.kind {
        case .anchor:
            let name = MessageText.quote("&" + property.name)
            error("anchors such as \(name) are not allowed in manifests; write each value out in full", at: location)
        case .alias:
            let name = MessageText.quote("*" + property.name)
            error(
                "aliases such as \(name) are not allowed in manifests (they can expand exponentially); write each "
                    + "value out in full",
                at: location)
        }
    }

    private mutating func decodeDocument(_ document: YAMLNode) {
        guard case .mapping(let mapping) = document.content else {
            return error(
                "a manifest document must be a mapping with 'version' and 'regions', found \(document.found)",
                at: document)
        }
        let fields = fields(of: mapping, FieldSet.document)
        if let version = fields["version"] {
            guard checkVersion(version.value) else { return }
        } else {
            error("the document has no 'version'; add 'version: \(Self.supportedVersion)' at its top", at: document)
        }
        guard let regions = fields["regions"] else {
            return error(
                "the document has no 'regions'; add 'regions:' with a list of regions, or 'regions: []'",
                at: document)
        }
        guard
            let items = sequence(
                regions.value, of: "a list of regions under 'regions' (each item starts with '- id:')",
                emptyHint: "'regions: []'")
        else { return }
        for item in items where !outOfTime(at: item) { decodeRegion(item) }
    }

    /// Whether the deadline has passed; the first time, an error at `node`, where checking stopped.
    mutating func outOfTime(at node: YAMLNode) -> Bool {
        guard !outOfTime else { return true }
        guard deadline.isPast() else { return false }
        outOfTime = true
        error(
            "checking this file took too long and stopped here, so the whole file is frozen; split it into smaller "
                + "files or fix the errors above",
            at: node)
        return true
    }

    /// True when the document may be read as version 1.
    private mutating func checkVersion(_ node: YAMLNode) -> Bool {
        guard let text = scalarText(node, expected: "version \(Self.supportedVersion)") else { return false }
        guard text.value == Self.supportedVersion else {
            error(
                "unsupported manifest version \(MessageText.quote(text.value)); write 'version: "
                    + "\(Self.supportedVersion)', the only version this tool reads",
                at: text.location)
            return false
        }
        return true
    }

    // MARK: - Reporting

    mutating func error(_ message: String, at location: SourceLocation) {
        result.diagnostics.append(Diagnostic(.error, message, at: location))
        errorCount += 1
    }

    mutating func error(_ message: String, at node: YAMLNode) { error(message, at: node.location(in: file)) }

    mutating func error(_ message: String, at position: (line: Int, column: Int)) {
        error(message, at: SourceLocation(file: file, line: position.line, column: position.column))
    }

    mutating func warning(_ message: String, at location: SourceLocation) {
        result.diagnostics.append(Diagnostic(.warning, message, at: location))
    }

    mutating func note(_ message: String, at location: SourceLocation) {
        result.diagnostics.append(Diagnostic(.note, message, at: location))
    }
}
