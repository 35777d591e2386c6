/// Composes libyaml's event stream into node trees, and libyaml's failures into diagnostics with positions.
///
/// Every scalar stays a string: nothing resolves YAML 1.1's implicit types. Anchors and aliases are collected, never
/// resolved, so an alias bomb costs no more than its text; nesting is bounded, and composing uses no recursion.
package enum YAMLComposer {
    /// Deeper collections are refused; a manifest needs 5 levels.
    package static let maxDepth = 1000
    /// Composing stops after this many anchors and aliases, each of which is refused.
    package static let maxProperties = 20

    /// An anchor (`&name`) or alias (`*name`), which manifests refuse.
    package struct Property: Hashable, Sendable {
        package enum Kind: Hashable, Sendable {
            case anchor
            case alias
        }

        package var kind: Kind
        package var name: String
        package var mark: YAMLMark

        package init(kind: Kind, name: String, mark: YAMLMark) {
            self.kind = kind
            self.name = name
            self.mark = mark
        }
    }

    package struct Result: Sendable {
        /// The documents composed before any failure, empty ones included.
        package var documents: [YAMLNode] = []
        /// Every anchor and alias up to ``maxProperties``, in file order, also after a duplicate key or deep nesting.
        package var properties: [Property] = []
        /// At most one error (composing stops at the first), possibly followed by a note.
        package var diagnostics: [Diagnostic] = []
    }

    /// Composes `bytes`, UTF-8 without a leading byte-order mark (libyaml counts none in its columns).
    package static func compose(_ bytes: [UInt8], file: String) -> Result {
        bytes.withUnsafeBufferPointer { buffer in
            // An empty stream holds no document; libyaml cannot be handed an empty buffer.
            guard !buffer.isEmpty else { return Result() }
            guard var parser = LibYAMLParser.make(buffer) else {
                return Result(diagnostics: [Diagnostic(.error, outOfMemory, file: file)])
            }
            var composer = Composer(file: file)
            while composer.properties.count < maxProperties {
                switch parser.next() {
                case .success(let event):
                    guard composer.accept(event), !composer.tooDeep else { return composer.result }
                case .failure(let error):
                    if let property = Property(unnamedIn: error) {
                        composer.properties.append(property)
                    } else if !composer.failed {
                        composer.diagnostics = YAMLSyntaxMessage.diagnostics(error, bytes, file)
                    }
                    return composer.result
                }
            }
            return composer.result
        }
    }

    static let outOfMemory = "out of memory while parsing the YAML; free memory and try again"

    /// The state of one composition: the documents so far and the collections still open.
    private struct Composer {
        /// An open collection; a mapping's items alternate key and value.
        struct Frame {
            var isMapping: Bool
            var mark: YAMLMark
            var items: [YAMLNode] = []
        }

        let file: String
        var documents: [YAMLNode] = []
        var properties: [Property] = []
        var diagnostics: [Diagnostic] = []
        var stack: [Frame] = []
        /// Set by the first error of our own: from then on only anchors and aliases are collected.
        var failed = false
        /// Set when the nesting went past ``maxDepth``: reading stops there, because libyaml's scanner checks every
        /// open flow level on each token, so reading on through a deeper file costs the square of its depth (30,000
        /// levels in 150 KB took 12 s).
        var tooDeep = false

        var result: Result { Result(documents: documents, properties: properties, diagnostics: diagnostics) }

        /// False at the stream's end.
        mutating func accept(_ event: YAMLEvent) -> Bool {
            if let anchor = event.anchor { properties.append(Property(kind: .anchor, name: anchor, mark: event.mark)) }
            switch event.kind {
            case .streamEnd:
                return false
            case .streamStart, .documentStart, .documentEnd:
                break
            case .alias(let name):
                properties.append(Property(kind: .alias, name: name, mark: event.mark))
            case .scalar(let scalar):
                add(YAMLNode(.scalar(scalar), at: event.mark))
            case .sequenceStart, .mappingStart:
                open(isMapping: event.kind.isMappingStart, at: event.mark)
            case .sequenceEnd, .mappingEnd:
                close()
            }
            return true
        }

        private mutating func open(isMapping: Bool, at mark: YAMLMark) {
            guard !failed else { return }
            guard stack.count < maxDepth else {
                tooDeep = true
                return fail(
                    [
                        Diagnostic(
                            .error, "the YAML nests more than \(maxDepth) levels deep; a manifest needs at most 5",
                            at: location(mark))
                    ])
            }
            stack.append(Frame(isMapping: isMapping, mark: mark))
        }

        private mutating func close() {
            guard !failed, let frame = stack.popLast() else { return }
            guard frame.isMapping else { return add(YAMLNode(.sequence(frame.items), at: frame.mark)) }
            let pairs = stride(from: 0, to: frame.items.count - 1, by: 2).map {
                YAMLPair(key: frame.items[$0], value: frame.items[$0 + 1])
            }
            if let (first, second, key) = YAMLComposer.duplicateKey(in: pairs) {
                let quoted = MessageText.quote(key)
                return fail([
                    Diagnostic(
                        .error,
                        "duplicate key \(quoted); a key may appear once per mapping, so remove or merge this one",
                        at: location(second)),
                    Diagnostic(.note, "\(quoted) first appears here", at: location(first)),
                ])
            }
            add(YAMLNode(.mapping(pairs), at: frame.mark))
        }

        private mutating func add(_ node: YAMLNode) {
            guard !failed else { return }
            if stack.isEmpty {
                documents.append(node)
            } else {
                stack[stack.count - 1].items.append(node)
            }
        }

        private mutating func fail(_ found: [Diagnostic]) {
            failed = true
            stack = []
            diagnostics = found
        }

        private func location(_ mark: YAMLMark) -> SourceLocation {
            SourceLocation(file: file, line: mark.line, column: mark.column)
        }
    }

    /// The duplicated scalar key that sorts first, with the marks of its first and second occurrence.
    static func duplicateKey(in pairs: [YAMLPair]) -> (first: YAMLMark, second: YAMLMark, key: String)? {
        var seen: [String: YAMLMark] = [:]
        var found: (first: YAMLMark, second: YAMLMark, key: String)?
        for pair in pairs {
            guard case .scalar(let scalar) = pair.key.content else { continue }
            guard let first = seen[scalar.text] else {
                seen[scalar.text] = pair.key.mark
                continue
            }
            if found.map({ scalar.text < $0.key }) ?? true { found = (first, pair.key.mark, scalar.text) }
        }
        return found
    }
}

extension YAMLEvent.Kind {
    fileprivate var isMappingStart: Bool {
        if case .mappingStart = self { return true }
        return false
    }
}

extension YAMLComposer.Property {
    /// A `&` or `*` without a name stops libyaml; it is refused as the anchor or alias it starts.
    init?(unnamedIn error: LibYAMLError) {
        guard let context = error.context else { return nil }
        switch context.text {
        case "while scanning an anchor": self.init(kind: .anchor, name: "", mark: context.mark)
        case "while scanning an alias": self.init(kind: .alias, name: "", mark: context.mark)
        default: return nil
        }
    }
}
