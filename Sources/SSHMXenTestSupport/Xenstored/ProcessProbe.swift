import Foundation

/// Looks at processes through `/proc`, for tests that check what a daemon left behind.
package enum ProcessProbe {
    /// Whether `pid` is a live process. A zombie counts as dead: it has exited and only waits for its parent (some
    /// sandboxes' PID 1 reaps orphans late).
    package static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(after: end)...].drop { $0 == " " }.first
        return state != nil && state != "Z" && state != "X"
    }

    /// The command line of `pid`, arguments joined by spaces; empty when it is gone.
    package static func commandLine(_ pid: Int32) -> String {
        let raw = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
        return raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
    }

    /// Polls until `pid` is gone; returns whether it went within `deadline`.
    package static func waitUntilGone(_ pid: Int32, within deadline: Duration = .seconds(10)) async throws -> Bool {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while isRunning(pid) {
            guard clock.now < end else { return false }
            try await Task.sleep(for: .milliseconds(5))
        }
        return true
    }
}
