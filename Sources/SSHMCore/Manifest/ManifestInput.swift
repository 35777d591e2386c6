/// One manifest file as the validator sees it: its path and bytes, or why it could not be read.
public struct ManifestInput: Sendable {
    public var path: String
    /// `nil` when the file could not be read or was refused; `diagnostics` then says why.
    package var contents: [UInt8]?
    /// Found while reading: a refusal (error) or an ownership warning.
    package var diagnostics: [Diagnostic]

    /// A manifest given as text, as tests and benchmarks build them.
    public init(path: String, text: String) {
        self.init(path: path, bytes: Array(text.utf8))
    }

    package init(path: String, bytes: [UInt8], diagnostics: [Diagnostic] = []) {
        self.path = path
        self.contents = bytes
        self.diagnostics = diagnostics
    }

    /// A file that was not read; it freezes.
    package init(path: String, refused diagnostics: [Diagnostic]) {
        self.path = path
        self.contents = nil
        self.diagnostics = diagnostics
    }
}
