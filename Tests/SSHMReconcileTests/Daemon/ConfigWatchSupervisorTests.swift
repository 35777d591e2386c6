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

    @Test func aChangedFileIsReported() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let queue = WorkQueue(clock: clock)
        let supervisor = ConfigWatchSupervisor(directory: directory.path, queue: queue, logger: .quiet)
        supervisor.start()
        defer { supervisor.stop() }
        try directory.write("a.yaml", "version: 1\n")
        #expect(try await waitFor(\.config, in: queue))
    }

    @Test func aWatcherWhoseDescriptorIsKilledComesBackAndIsCounted() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let queue = WorkQueue(clock: clock)
        let supervisor = ConfigWatchSupervisor(directory: directory.path, queue: queue, logger: .quiet)
        supervisor.start()
        defer { supervisor.stop() }
        let descriptor = try #require(supervisor.descriptor)
        // /dev/null over the inotify descriptor: it reads as end-of-file, which inotify never does.
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        #expect(devNull >= 0)
        #expect(dup2(devNull, descriptor) == descriptor)
        close(devNull)
        #expect(try await eventually { !supervisor.isWatching })
        #expect(supervisor.restarts == 1)
        #expect(try await waitFor(\.restartWatchers, in: queue))
        supervisor.start()
        #expect(supervisor.isWatching)
        #expect(try await waitFor(\.config, in: queue))
        try directory.write("b.yaml", "version: 1\n")
        #expect(try await waitFor(\.config, in: queue))
    }

    @Test func aMissingDirectoryIsWatchedOnceItExists() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/sshm.d"
        let queue = WorkQueue(clock: clock)
        let supervisor = ConfigWatchSupervisor(directory: path, queue: queue, logger: .quiet)
        supervisor.start()
        defer { supervisor.stop() }
        #expect(!supervisor.isWatching)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        #expect(try await waitFor(\.restartWatchers, in: queue))
        supervisor.start()
        #expect(supervisor.isWatching)
        #expect(supervisor.restarts == 1)
    }

    @Test func theDirectoryGoingAwayStopsTheWatcherAndIsCounted() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/sshm.d"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        let queue = WorkQueue(clock: clock)
        let supervisor = ConfigWatchSupervisor(directory: path, queue: queue, logger: .quiet)
        supervisor.start()
        defer { supervisor.stop() }
        try FileManager.default.removeItem(atPath: path)
        #expect(try await eventually { !supervisor.isWatching })
        #expect(supervisor.restarts == 1)
    }
}
