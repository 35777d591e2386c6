import SSHMReconcile
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The one decision of the transaction path: what an error inside a transaction leads to.
struct TransactionDispositionTests {
    private struct BodyFailure: Error {}

    struct Row: CustomTestStringConvertible, Sendable {
        var error: any Error & Sendable
        var stage: TransactionStage
        var attempt: Int
        var expected: TransactionDisposition
        var testDescription: String { "\(error) in \(stage), attempt \(attempt) → \(expected)" }
    }

    static func xs(_ errno: Int32) -> XenStoreError {
        XenStoreError(operation: "xs_transaction_end", path: nil, errno: errno)
    }

    /// With 3 attempts. An ENOENT in the body is a racing writer's (see `classify`): retried like a conflict.
    static let table: [Row] = [
        Row(error: xs(EAGAIN), stage: .commit, attempt: 1, expected: .retry),
        Row(error: xs(EAGAIN), stage: .commit, attempt: 2, expected: .retry),
        Row(error: xs(EAGAIN), stage: .commit, attempt: 3, expected: .abort),
        // A pipelined change's conflict, reported at the body's next read.
        Row(error: xs(EAGAIN), stage: .body, attempt: 1, expected: .retry),
        Row(error: xs(EAGAIN), stage: .body, attempt: 3, expected: .abort),
        // A node another writer removed after our reads: a conflict that came early (or, pipelined, at the commit).
        Row(error: xs(ENOENT), stage: .body, attempt: 1, expected: .retry),
        Row(error: xs(ENOENT), stage: .body, attempt: 2, expected: .retry),
        Row(error: xs(ENOENT), stage: .body, attempt: 3, expected: .abort),
        Row(error: xs(ENOENT), stage: .commit, attempt: 2, expected: .retry),
        Row(error: xs(ENOENT), stage: .commit, attempt: 3, expected: .abort),
        Row(error: xs(ENOENT), stage: .commit, attempt: 1, expected: .retry),
        Row(error: xs(E2BIG), stage: .commit, attempt: 1, expected: .abort),
        Row(error: xs(EACCES), stage: .body, attempt: 1, expected: .abort),
        Row(error: xs(EBUSY), stage: .commit, attempt: 1, expected: .abort),
        Row(error: xs(ECONNRESET), stage: .body, attempt: 1, expected: .unavailable),
        Row(error: xs(EBADF), stage: .commit, attempt: 1, expected: .unavailable),
        Row(error: xs(EPIPE), stage: .commit, attempt: 3, expected: .unavailable),
        // A daemon that did not answer within the wire connection's deadline: its connection is dropped.
        Row(
            error: XenStoreError(code: .unavailable, operation: "XS_DIRECTORY", path: nil, errno: ETIMEDOUT),
            stage: .body, attempt: 1, expected: .unavailable),
        Row(error: BodyFailure(), stage: .body, attempt: 1, expected: .abort),
    ]

    @Test(arguments: table)
    func classifiesAnErrorInsideATransaction(_ row: Row) {
        let policy = RetryPolicy(attempts: 3, sleep: { _ in })
        #expect(
            TransactionDisposition.classify(row.error, in: row.stage, attempt: row.attempt, policy: policy)
                == row.expected)
    }
}
