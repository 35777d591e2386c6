import SSHMTestSupport
import SSHMXenTestSupport
import Testing

/// The one XenStore contract (``XenStoreContract``) on the in-memory fake, the C xenstored and oxenstored.
@Suite("XenStore contract", .xenstored(.c, .ocaml))
struct XenStoreContractTests {
    @Test(arguments: XenStoreBackend.allCases)
    func absentNodeReadsAsNil(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { try XenStoreContract.absentNodeReadsAsNil($0) }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func valuesRoundTrip(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { try XenStoreContract.valuesRoundTrip($0) }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func oversizedValueIsRefused(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { try XenStoreContract.oversizedValueIsRefused($0) }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func mkdirCreatesParents(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { try XenStoreContract.mkdirCreatesParents($0) }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func removeTakesTheSubtree(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { try XenStoreContract.removeTakesTheSubtree($0) }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func directoryListsChildren(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { try XenStoreContract.directoryListsChildren($0) }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func readManyAnswersLikeSeparateCalls(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { try XenStoreContract.readManyAnswersLikeSeparateCalls($0) }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func permissionsRoundTrip(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { try XenStoreContract.permissionsRoundTrip($0) }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func permissionsOfMissingNodeAreNotFound(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { try XenStoreContract.permissionsOfMissingNodeAreNotFound($0) }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func committedTransactionIsVisible(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { try XenStoreContract.committedTransactionIsVisible($0) }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func abortedTransactionLeavesNoTrace(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { try XenStoreContract.abortedTransactionLeavesNoTrace($0) }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func conflictingCommitIsRetriable(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { try XenStoreContract.conflictingCommitIsRetriable($0) }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func blindWritesMayMerge(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { try XenStoreContract.blindWritesMayMerge($0) }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func outsideWriteToReadNodeConflicts(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { try XenStoreContract.outsideWriteToReadNodeConflicts($0) }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func watchFiresOnRegistrationAndOnChange(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { try await XenStoreContract.watchFiresOnRegistrationAndOnChange($0) }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func readManyInATransactionSeesItsChangesAndConflicts(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { try XenStoreContract.readManyInATransactionSeesItsChangesAndConflicts($0) }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func failingChangeWritesNothingOfItsTransaction(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { try XenStoreContract.failingChangeWritesNothingOfItsTransaction($0) }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func freshDirectoryPassesItsPermissionsOnInATransaction(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { try XenStoreContract.freshDirectoryPassesItsPermissionsOnInATransaction($0) }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func removingAnAncestorFiresTheWatch(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { try await XenStoreContract.removingAnAncestorFiresTheWatch($0) }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func transactionalChangeFiresOnCommit(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { try await XenStoreContract.transactionalChangeFiresOnCommit($0) }
    }

    @Test(arguments: XenStoreBackend.allCases)
    func domainWatchesFire(_ backend: XenStoreBackend) async throws {
        try await backend.withFixture { try await XenStoreContract.domainWatchesFire($0) }
    }

    /// The watch checks again with the watches on libxenstore, as on the xenbus device (no socket): the daemons'
    /// sockets carry them over the wire protocol instead, and both ways keep the contract.
    @Test(arguments: [XenStoreBackend.cXenstored, .oxenstored])
    func watchesThroughLibxenstoreKeepTheContract(_ backend: XenStoreBackend) async throws {
        let checks: [(XenStoreFixture) async throws -> Void] = [
            XenStoreContract.watchFiresOnRegistrationAndOnChange, XenStoreContract.removingAnAncestorFiresTheWatch,
            XenStoreContract.transactionalChangeFiresOnCommit, XenStoreContract.domainWatchesFire,
        ]
        for check in checks { try await backend.withFixture(watchesThroughLibxenstore: true, check) }
    }
}

/// The contract has teeth: each deliberately defective fake fails the check that guards against its defect.
@Suite("XenStore contract catches defects")
struct XenStoreContractDefectTests {
    @Test func missingConflictDetectionFailsTheConflictCheck() async {
        await withKnownIssue {
            try await XenStoreBackend.inMemory.withFixture(defects: [.noConflictDetection]) {
                try XenStoreContract.conflictingCommitIsRetriable($0)
            }
        }
    }

    @Test func missingConflictDetectionFailsTheReadSetCheck() async {
        await withKnownIssue {
            try await XenStoreBackend.inMemory.withFixture(defects: [.noConflictDetection]) {
                try XenStoreContract.outsideWriteToReadNodeConflicts($0)
            }
        }
    }

    @Test func missingInitialWatchEventFailsTheWatchCheck() async {
        await withKnownIssue {
            try await XenStoreBackend.inMemory.withFixture(
                defects: [.noInitialWatchEvent], watchDeadline: .milliseconds(200)
            ) {
                try await XenStoreContract.watchFiresOnRegistrationAndOnChange($0)
            }
        }
    }

    @Test func throwingAbsentReadFailsTheAbsenceCheck() async {
        await withKnownIssue {
            try await XenStoreBackend.inMemory.withFixture(defects: [.absentReadThrows]) {
                try XenStoreContract.absentNodeReadsAsNil($0)
            }
        }
    }
}
