/// Why a format cannot describe these regions: every finding, each at the region's `id` in its manifest.
package struct ExportRefusal: Error, Hashable, Sendable {
    package var diagnostics: [Diagnostic]

    package init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
}
