import SSHMReconcile
import SSHMTestSupport
import SSHMXenTestSupport
import Synchronization
import Testing

/// `withTransaction`: bounded attempts with jittered backoff, on the fake and on the real C xenstored.
@Suite("withTransaction", .xenstored(.c))
struct TransactionTests {
    /// Records the waits instead of sleeping.
    private final class Sleeps: Sendable {
        let recorded = Mutex<[Duration]>([])
        var all: [Duration] { recorded.withLock { $0 } }
        func record(_ duration: Duration) { recorded.withLock { $0.append(duration) } }
    }

    private struct Refused: Error {}

    @Test(arguments: [XenStoreBackend.inMemory, .cXenstored])
    func perpetualConflictEndsWithRetriableConflictAfterTheConfiguredAttempts(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { fixture in
            let node = fixture.root.appending("usercnt")
            try fixture.store.write(node, "0", in: nil)
            let sleeps = Sleeps()
            let policy = RetryPolicy(attempts: 5, sleep: sleeps.record, random: { 0.5 })
            var attempts = 0
            let error = #expect(throws: XenStoreError.self) {
                try withTransaction(fixture.store, policy: policy) { tx in
                    attempts += 1
                    let count = Int(try fixture.store.read(node, in: tx) ?? "") ?? 0
                    // Another writer changes the node between our read and our commit, every time.
                    try fixture.other.write(node, "\(1000 + attempts)", in: nil)
                    try fixture.store.write(node, "\(count + 1)", in: tx)
                }
            }
            #expect(error?.code == .conflict)
            #expect(error?.isRetriable == true)
            #expect(attempts == 5)
            #expect(sleeps.all.count == 4)
            #expect(try fixture.store.read(node, in: nil) == "1005")
        }
    }

    @Test(arguments: [XenStoreBackend.inMemory, .cXenstored])
    func transientConflictsAreRetriedUntilTheCommitSucceeds(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { fixture in
            let node = fixture.root.appending("usercnt")
            try fixture.store.write(node, "1", in: nil)
            var attempts = 0
            let result = try withTransaction(fixture.store, policy: RetryPolicy(attempts: 5, sleep: { _ in })) { tx in
                attempts += 1
                let count = Int(try fixture.store.read(node, in: tx) ?? "") ?? 0
                if attempts < 3 { try fixture.other.write(node, "\(count + 10)", in: nil) }
                try fixture.store.write(node, "\(count + 1)", in: tx)
                return count + 1
            }
            #expect(attempts == 3)
            #expect(result == 22)
            #expect(try fixture.store.read(node, in: nil) == "22")
        }
    }

    @Test(arguments: [XenStoreBackend.inMemory, .cXenstored])
    func anotherErrorAbortsAtOnceWithoutATrace(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { fixture in
            let node = fixture.root.appending("half-written")
            var attempts = 0
            #expect(throws: Refused.self) {
                try withTransaction(fixture.store, policy: RetryPolicy(attempts: 5, sleep: { _ in })) { tx in
                    attempts += 1
                    try fixture.store.write(node, "x", in: tx)
                    throw Refused()
                }
            }
            let value = try fixture.store.read(node, in: nil)
            #expect(attempts == 1)
            #expect(value == nil)
        }
    }

    @Test func backoffDoublesFromTheBaseUpToTheMaximum() {
        let policy = RetryPolicy(
            attempts: 10, baseDelay: .milliseconds(1), maxDelay: .milliseconds(8), sleep: { _ in }, random: { 1 })
        let ceilings = (1...7).map { policy.delay(afterAttempt: $0) }
        #expect(ceilings == [1, 2, 4, 8, 8, 8, 8].map { Duration.milliseconds($0) })
    }

    @Test(arguments: [0.0, 0.25, 0.999_999])
    func jitterIsAFractionOfTheCeiling(_ random: Double) {
        let policy = RetryPolicy(
            attempts: 10, baseDelay: .milliseconds(4), maxDelay: .milliseconds(50), sleep: { _ in }, random: { random })
        for attempt in 1...12 {
            let ceiling = min(Duration.milliseconds(50), .milliseconds(4) * (1 << min(attempt - 1, 30)))
            let delay = policy.delay(afterAttempt: attempt)
            #expect(delay >= .zero && delay <= ceiling)
            #expect(delay == ceiling * random)
        }
    }

    @Test func fewerThanOneAttemptMeansOne() {
        #expect(RetryPolicy(attempts: 0).attempts == 1)
        #expect(RetryPolicy(attempts: -3).attempts == 1)
    }

    @Test func theSleepsFollowTheBackoff() async throws {
        let store = InMemoryXenStore()
        let other = store.connect()
        let sleeps = Sleeps()
        let policy = RetryPolicy(
            attempts: 4, baseDelay: .milliseconds(1), maxDelay: .milliseconds(3), sleep: sleeps.record, random: { 1 })
        _ = try? withTransaction(store, policy: policy) { tx in
            _ = try store.read("/x", in: tx)
            try other.write("/x", "changed", in: nil)
        }
        #expect(sleeps.all == [.milliseconds(1), .milliseconds(2), .milliseconds(3)])
    }
}
