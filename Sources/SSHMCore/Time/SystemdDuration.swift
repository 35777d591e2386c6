/// A time span as systemd spells it (systemd.time(7)): `5min`, `1m30s`, `1h 30min`, `1d`, `500ms`, `2.5s`; a bare
/// number is seconds. The units files and `/etc/default` use this spelling, so the command line takes it too.
package enum SystemdDuration {
    /// What to tell someone who wrote something else.
    package static let accepted =
        "a number with a unit as in systemd.time(7): 500ms, 30s, 5min (or 5m), 1m30s, 2h, 1d, 1w; a bare number is "
        + "seconds"

    /// Units and their length in nanoseconds; longest spellings first so that `min` is not read as `m` + `in`.
    private static let units: [(names: [String], nanoseconds: Double)] = [
        (["usec", "us", "µs", "μs"], 1e3),
        (["msec", "ms"], 1e6),
        (["seconds", "second", "sec", "s"], 1e9),
        (["minutes", "minute", "min", "m"], 60e9),
        (["hours", "hour", "hr", "h"], 3600e9),
        (["days", "day", "d"], 86400e9),
        (["weeks", "week", "w"], 604_800e9),
        (["months", "month", "M"], 2_629_800e9),
        (["years", "year", "y"], 31_557_600e9),
    ]

    /// Longest input accepted: a duration is a few words, never a file.
    static let maxLength = 64

    /// The duration `text` spells, or `nil` when it is not one (or does not fit in a `Duration`).
    package static func parse(_ text: String) -> Duration? {
        guard text.utf8.count <= maxLength else { return nil }
        let trimmed = text.trimmingSpaces
        guard !trimmed.isEmpty else { return nil }
        if let seconds = Double(trimmed), seconds.isFinite, seconds >= 0, !trimmed.contains(where: \.isLetter) {
            return duration(nanoseconds: seconds * 1e9)
        }
        var rest = Substring(trimmed)
        var total = 0.0
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " }
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count).drop { $0 == " " }
            let word = rest.prefix { $0.isLetter }
            guard let unit = units.first(where: { $0.names.contains(String(word)) }) else { return nil }
            rest = rest.dropFirst(word.count)
            total += value * unit.nanoseconds
        }
        return duration(nanoseconds: total)
    }

    private static func duration(nanoseconds: Double) -> Duration? {
        guard nanoseconds.isFinite, nanoseconds < Double(Int64.max) else { return nil }
        return .nanoseconds(Int64(nanoseconds))
    }

    /// The shortest systemd spelling of `duration`, in whole units from days down to milliseconds: `5min`, `1m30s`,
    /// `1d`, `500ms`.
    package static func format(_ duration: Duration) -> String {
        var milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        guard milliseconds > 0 else { return "0" }
        var parts: [(count: Int64, unit: String)] = []
        for (unit, length) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("min", 60_000), ("s", 1000), ("ms", 1)] {
            guard milliseconds >= length else { continue }
            parts.append((milliseconds / length, unit))
            milliseconds %= length
        }
        // A lone minute count as the shipped timer writes it (`5min`); with other parts, `1m30s`.
        if parts.count == 1 { return "\(parts[0].count)\(parts[0].unit)" }
        return parts.map { "\($0.count)\($0.unit == "min" ? "m" : $0.unit)" }.joined()
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
