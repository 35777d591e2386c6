/// A composed YAML node: what the manifest decoder reads, with the position every diagnostic points at.
package struct YAMLNode: Sendable {
    package enum Content: Sendable {
        case scalar(YAMLScalar)
        /// Pairs in file order; composing refuses duplicate keys.
        case mapping([YAMLPair])
        case sequence([YAMLNode])
    }

    package var content: Content
    /// Where the node starts.
    package var mark: YAMLMark

    package init(_ content: Content, at mark: YAMLMark) {
        self.content = content
        self.mark = mark
    }

    package func location(in file: String) -> SourceLocation {
        SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    /// What the node is, for "found …" in messages.
    package var found: String {
        switch content {
        case .scalar(let scalar): isEmptyScalar ? "nothing" : MessageText.quote(scalar.text)
        case .mapping: "a mapping"
        case .sequence: "a list"
        }
    }

    /// A plain empty scalar: `key:` with nothing after it.
    package var isEmptyScalar: Bool {
        if case .scalar(let scalar) = content { return scalar.text.isEmpty && scalar.isPlain }
        return false
    }
}

package struct YAMLPair: Sendable {
    package var key: YAMLNode
    package var value: YAMLNode
}
