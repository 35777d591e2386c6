import ArgumentParser
import SSHMCore

/// A duration on the command line, in systemd's spelling (``SystemdDuration``), as the units and `/etc/default`
/// write it.
struct DurationArgument: Sendable, CustomStringConvertible {
    let duration: Duration

    init(_ duration: Duration) { self.duration = duration }

    /// For `@Option(transform:)`: a zero or unreadable duration names the accepted forms.
    static func parse(_ text: String) throws -> DurationArgument {
        guard let duration = SystemdDuration.parse(text), duration > .zero else {
            throw ValidationError("'\(text)' is not a duration: write \(SystemdDuration.accepted).")
        }
        return DurationArgument(duration)
    }

    /// The default in `--help` and the man pages.
    var description: String { SystemdDuration.format(duration) }
}
