import Foundation
import SSHMTestSupport
import Testing

@testable import SSHMReconcile

#if canImport(Glibc)
    import Glibc
#endif

struct ConfigWatchSupervisorTests {
    let clock = VirtualClock()

    /// Takes work from `queue` until some has `flag`, advancing virtual time past any backoff.
    func waitFor(_ flag: KeyPath<Wakeups, Bool>, in queue: WorkQueue) async throws -> Bool {
        try await eventually {
            clock.advance(by: .seconds(60))
            return queue.poll()?.wakeups[keyPath: flag] ?? false
        }
    }

    /// Runs `body` with a supervisor on `subdirectory` of a fresh temporary directory (the directory itself when
    /// `nil`), stopped and removed afterwards.
    func withSupervisor(
        on subdirectory: String? = nil, create: Bool = true,
        _ body: (ConfigWatchSupervisor, WorkQueue, String) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = subdirectory.map { directory.path + "/" + $0 } ?? directory.path
        if create, subdirectory != nil {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        }
        let queue = WorkQueue(clock: clock)
        let supervisor = ConfigWatchSupervisor(directory: path, queue: queue, logger: .quiet)
        supervisor.start()
        defer { supervisor.stop() }
        try await body(supervisor, queue, path)
    }

    func write(_ name: String, in directory: String) throws {
        try Data("version: 1\n".utf8).write(to: URL(fileURLWithPath: directory + "/" + name))
    }

    @Test func aChangedFileIsReported() async throws {
        try await withSupervisor { _, queue, path in
            try write("a.yaml", in: path)
            #expect(try await waitFor(\.config, in: queue))
        }
    }

    @Test func aWatcherWhoseDescriptorIsKilledComesBackAndIsCounted() async throws {
        try await withSupervisor { supervisor, queue, path in
            let descriptor = try #require(supervisor.descriptor)
            // /dev/null over the inotify descriptor: it reads as end-of-file, which inotify never does. A thread
            // already in poll keeps waiting on the old file, so a change wakes it to read the new one.
            let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
            #expect(devNull >= 0)
            #expect(dup2(devNull, descriptor) == descriptor)
            close(devNull)
            try write("a.yaml", in: path)
            #expect(try await eventually { !supervisor.isWatching })
            #expect(supervisor.restarts == 1)
            #expect(try await waitFor(\.restartWatchers, in: queue))
            supervisor.start()
            #expect(supervisor.isWatching)
            #expect(try await waitFor(\.config, in: queue))
            try write("b.yaml", in: path)
            #expect(try await waitFor(\.config, in: queue))
        }
    }

    @Test func aMissingDirectoryIsWatchedOnceItExists() async throws {
        try await withSupervisor(on: "sshm.d", create: false) { supervisor, queue, path in
            #expect(!supervisor.isWatching)
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            #expect(try await waitFor(\.restartWatchers, in: queue))
            supervisor.start()
            #expect(supervisor.isWatching)
            #expect(supervisor.restarts == 1)
        }
    }

    @Test func theDirectoryGoingAwayStopsTheWatcherAndIsCounted() async throws {
        try await withSupervisor(on: "sshm.d") { supervisor, _, path in
            try FileManager.default.removeItem(atPath: path)
            #expect(try await eventually { !supervisor.isWatching })
            #expect(supervisor.restarts == 1)
        }
    }
}
