/// What `validate` reports: a one-line summary for people and a JSON document for machines.
package struct ValidationReport: Encodable, Hashable, Sendable {
    package struct File: Encodable, Hashable, Sendable {
        package var path: String
        /// `valid` or `frozen`.
        package var status: String
        /// Regions the file declares when valid; 0 when frozen.
        package var regions: Int
    }

    package struct Finding: Encodable, Hashable, Sendable {
        package var file: String?
        package var line: Int?
        package var column: Int?
        package var severity: String
        package var message: String

        private enum CodingKeys: String, CodingKey {
            case file, line, column, severity, message
        }

        /// Writes absent positions as `null` rather than leaving the keys out, so every finding has one shape.
        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(file, forKey: .file)
            try container.encode(line, forKey: .line)
            try container.encode(column, forKey: .column)
            try container.encode(severity, forKey: .severity)
            try container.encode(message, forKey: .message)
        }
    }

    package var files: [File]
    /// Valid regions across all files.
    package var regions: Int
    package var errors: Int
    package var warnings: Int
    package var diagnostics: [Finding]

    package init(_ state: DesiredState) {
        files = state.files.map { file in
            switch file.status {
            case .valid(let regions): File(path: file.path, status: "valid", regions: regions.count)
            case .frozen: File(path: file.path, status: "frozen", regions: 0)
            }
        }
        regions = state.regions.count
        let all = state.diagnostics
        errors = all.lazy.filter { $0.severity == .error }.count
        warnings = all.lazy.filter { $0.severity == .warning }.count
        diagnostics = all.map { diagnostic in
            Finding(
                file: diagnostic.file, line: diagnostic.location?.line, column: diagnostic.location?.column,
                severity: diagnostic.severity.rawValue, message: diagnostic.message)
        }
    }

    /// `3 files, 7 regions, 0 errors, 1 warning`.
    package var summary: String {
        [
            MessageText.count(files.count, "file"), MessageText.count(regions, "region"),
            MessageText.count(errors, "error"), MessageText.count(warnings, "warning"),
        ].joined(separator: ", ")
    }
}
