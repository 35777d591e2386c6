import SSHMReconcile
import Synchronization

/// Collects a store's watch events so that tests can wait for one with a deadline.
package final class WatchEventRecorder: Sendable {
    /// No matching event arrived in time.
    package struct Timeout: Error, CustomStringConvertible {
        package var waited: Duration
        package var seen: [XenStoreWatchEvent]
        package var description: String { "no matching watch event within \(waited); unmatched events: \(seen)" }
    }

    private final class Buffer: Sendable {
        let events = Mutex<[XenStoreWatchEvent]>([])
    }

    private let buffer = Buffer()
    private let task: Task<Void, Never>
    /// How long ``next(within:where:)`` waits by default.
    package let deadline: Duration

    /// Starts consuming `events` (a store's ``XenStore/watchEvents``; one consumer per store).
    package init(_ events: AsyncStream<XenStoreWatchEvent>, deadline: Duration = .seconds(10)) {
        self.deadline = deadline
        let buffer = self.buffer
        task = Task {
            for await event in events { buffer.events.withLock { $0.append(event) } }
        }
    }

    deinit { task.cancel() }

    /// Waits for the first event that matches, dropping the unmatched ones before it. Polls with a deadline.
    package func next(
        within deadline: Duration? = nil, where matches: (XenStoreWatchEvent) -> Bool = { _ in true }
    ) async throws -> XenStoreWatchEvent {
        let deadline = deadline ?? self.deadline
        let clock = ContinuousClock()
        let end = clock.now + deadline
        var skipped: [XenStoreWatchEvent] = []
        while true {
            let found = buffer.events.withLock { events -> XenStoreWatchEvent? in
                guard let index = events.firstIndex(where: matches) else {
                    skipped += events
                    events.removeAll()
                    return nil
                }
                skipped += events[..<index]
                let event = events[index]
                events.removeSubrange(...index)
                return event
            }
            if let found { return found }
            guard clock.now < end else { throw Timeout(waited: deadline, seen: skipped) }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Waits for the next event of the watch with `token`.
    package func next(token: String, within deadline: Duration? = nil) async throws -> XenStoreWatchEvent {
        try await next(within: deadline) { $0.token == token }
    }
}
