import Foundation
import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import Testing

struct ConditionStoreTests {
    static let ready = RegionCondition(.ready, reason: ConditionReason.converged, message: "all 2 borrowers mapped")
    static let pending = RegionCondition(.pending, reason: ConditionReason.waitingForBorrower, message: "waiting")
    static let early = Date(timeIntervalSince1970: 1_800_000_000)
    static let late = Date(timeIntervalSince1970: 1_800_000_600)

    @Test func keepsTheTimeOfTheLastChangeOfKindAndNothingElse() {
        let first = ConditionStore.entries(
            [Build.id("a"): Self.ready, Build.id("b"): Self.ready], previous: [:], now: Self.early)
        var changedMessage = Self.ready
        changedMessage.message = "its borrower is mapped"
        let second = ConditionStore.entries(
            [Build.id("a"): changedMessage, Build.id("b"): Self.pending], previous: first, now: Self.late)
        #expect(second[Build.id("a")]?.since == Self.early)
        #expect(second[Build.id("a")]?.condition.message == "its borrower is mapped")
        #expect(second[Build.id("b")]?.since == Self.late)
    }

    @Test func writesTheFileOnlyWhenItsContentChangesAndReadsItBack() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sshm-conditions-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = ConditionStore(directory: directory)
        #expect(store.load().isEmpty)
        let entries = ConditionStore.entries([Build.id("a"): Self.ready], previous: [:], now: Self.early)
        #expect(try store.save(entries))
        #expect(try !store.save(entries))
        #expect(store.load() == entries)
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: store.path))
        #expect(store.load().isEmpty, "an unreadable file is rebuilt by the next pass, not fatal")
    }
}
