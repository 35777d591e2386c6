/// The formats `export` writes.
package enum ExportFormat: String, CaseIterable, Sendable {
    case dts
    case cHeader = "c-header"
    case json

    /// What an empty file of this format is called in the message that says one was written.
    package var emptyFileName: String {
        switch self {
        case .dts: "an overlay that adds nothing"
        case .cHeader: "a header with no region"
        case .json: "a document with no region"
        }
    }
}
