/// One finding about the input, rendered `path:line:col: severity: message` like a compiler's.
package struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    package enum Severity: String, Comparable, Sendable {
        case note
        case warning
        case error

        private var rank: Int {
            switch self {
            case .note: 0
            case .warning: 1
            case .error: 2
            }
        }
        package static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    package var severity: Severity
    package var message: String
    /// `nil` for findings about a whole file or the directory (rendered `path: severity: message`).
    package var location: SourceLocation?
    /// The file, when there is no line to point at.
    package var file: String?

    package init(_ severity: Severity, _ message: String, at location: SourceLocation) {
        self.severity = severity
        self.message = message
        self.location = location
        self.file = location.file
    }

    package init(_ severity: Severity, _ message: String, file: String?) {
        self.severity = severity
        self.message = message
        self.location = nil
        self.file = file
    }

    package var description: String {
        if let location { return "\(location): \(severity.rawValue): \(message)" }
        if let file { return "\(file): \(severity.rawValue): \(message)" }
        return "\(severity.rawValue): \(message)"
    }
}
