import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// How log lines look on stderr.
package enum LogFormat: String, CaseIterable, Sendable {
    /// `level: message key=value …`, with a systemd `<N>` priority prefix when stderr is the journal.
    case text
    /// One JSON object per line.
    case json
}

/// swift-log handler writing to stderr. When `JOURNAL_STREAM` names stderr, each text line starts with the
/// sd-daemon priority (`<3>` error … `<7>` debug), which journald turns into the entry's priority.
package struct StderrLogHandler: LogHandler {
    package var logLevel: Logger.Level
    package var metadata: Logger.Metadata = [:]
    private let label: String
    private let format: LogFormat
    private let journal: Bool

    package init(
        label: String, level: Logger.Level, format: LogFormat, journal: Bool = StderrLogHandler.stderrIsJournal()
    ) {
        self.label = label
        logLevel = level
        self.format = format
        self.journal = journal
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var line = render(level: event.level, message: "\(event.message)", metadata: merged, time: Date())
        line.withUTF8 { buffer in _ = Glibc.write(STDERR_FILENO, buffer.baseAddress, buffer.count) }
    }

    /// One line as it goes to stderr, newline included.
    package func render(level: Logger.Level, message: String, metadata: Logger.Metadata, time: Date) -> String {
        switch format {
        case .text:
            let pairs = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let prefix = journal ? "<\(Self.priority(level))>" : ""
            return "\(prefix)\(level): \(message)\(pairs.isEmpty ? "" : " " + pairs)\n"
        case .json:
            var object: [String: String] = metadata.mapValues { "\($0)" }
            object["level"] = level.rawValue
            object["message"] = message
            object["time"] = time.formatted(.iso8601)
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let data = (try? encoder.encode(object)) ?? Data()
            return (String(data: data, encoding: .utf8) ?? "{}") + "\n"
        }
    }

    /// sd-daemon(3) priorities.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .critical: 2
        case .error: 3
        case .warning: 4
        case .notice: 5
        case .info: 6
        case .debug, .trace: 7
        }
    }

    /// Whether `JOURNAL_STREAM` (`device:inode`) names the file stderr is: then journald reads our lines.
    package static func stderrIsJournal() -> Bool {
        guard let value = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        var status = stat()
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]),
            fstat(STDERR_FILENO, &status) == 0
        else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }
}
