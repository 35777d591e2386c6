import SSHMCore
import SSHMReconcile
import Testing

extension XenStoreContract {
    /// A watch fires once on registration with the watched path, then for a change below it; after `unwatch`, no
    /// more. The watched node need not exist.
    package static func watchFiresOnRegistrationAndOnChange(_ fixture: XenStoreFixture) async throws {
        let events = WatchEventRecorder(fixture.store.watchEvents, deadline: fixture.watchDeadline)
        let watched = fixture.root.appending("static_shm")
        try fixture.store.watch(watched, token: "shm")
        let initial = try await events.next(token: "shm")
        #expect(initial.path == watched.rawValue)

        let child = watched.appending("telemetry").appending("size")
        try fixture.other.write(child, "0x1000", in: nil)
        let changed = try await events.next(token: "shm")
        #expect(changed.path == child.rawValue)

        try fixture.store.unwatch(watched, token: "shm")
        try fixture.other.write(child, "0x2000", in: nil)
        // A barrier: a connection's events arrive in order, and an event for the write above would have been queued
        // before this watch's first one.
        let barrier = fixture.root.appending("barrier")
        try fixture.store.watch(barrier, token: "barrier")
        let next = try await events.next { ["shm", "barrier"].contains($0.token) }
        #expect(next.token == "barrier", "no event after unwatch")
    }

    /// Removing a watched node's ancestor fires the watch with the watched path.
    package static func removingAnAncestorFiresTheWatch(_ fixture: XenStoreFixture) async throws {
        let events = WatchEventRecorder(fixture.store.watchEvents, deadline: fixture.watchDeadline)
        let watched = fixture.root.appending("records").appending("ring")
        try fixture.other.write(watched.appending("size"), "0x1000", in: nil)
        try fixture.store.watch(watched, token: "ring")
        _ = try await events.next(token: "ring")
        try fixture.other.remove(fixture.root.appending("records"), in: nil)
        let removed = try await events.next(token: "ring")
        #expect(removed.path == watched.rawValue)
    }

    /// A transaction's changes fire watches on commit, not before.
    package static func transactionalChangeFiresOnCommit(_ fixture: XenStoreFixture) async throws {
        let events = WatchEventRecorder(fixture.store.watchEvents, deadline: fixture.watchDeadline)
        let watched = fixture.root.appending("committed")
        let barrier = fixture.root.appending("barrier")
        // Both exist first: creating a sibling would change the root's child list, which the C daemon counts as a
        // conflict with a transaction that created one too.
        try fixture.other.write(watched, "", in: nil)
        try fixture.other.write(barrier, "0", in: nil)
        try fixture.store.watch(watched, token: "tx")
        try fixture.store.watch(barrier, token: "barrier")
        _ = try await events.next(token: "tx")
        _ = try await events.next(token: "barrier")

        let tx = try fixture.other.startTransaction()
        try fixture.other.write(watched.appending("state"), "mapped", in: tx)
        try fixture.other.write(barrier, "1", in: nil)
        let first = try await events.next { ["tx", "barrier"].contains($0.token) }
        #expect(first.token == "barrier", "no event before commit")
        try fixture.other.commit(tx)
        let committed = try await events.next(token: "tx")
        #expect(committed.path == watched.appending("state").rawValue)
    }

    /// `@introduceDomain` and `@releaseDomain` fire once on registration, then on introduce and release.
    package static func domainWatchesFire(_ fixture: XenStoreFixture) async throws {
        let events = WatchEventRecorder(fixture.store.watchEvents, deadline: fixture.watchDeadline)
        try fixture.store.watch("@introduceDomain", token: "introduce")
        try fixture.store.watch("@releaseDomain", token: "release")
        #expect(try await events.next(token: "introduce").path == "@introduceDomain")
        #expect(try await events.next(token: "release").path == "@releaseDomain")

        let domid = TestDomains.uniqueDomID()
        try fixture.other.introduceDomain(domid)
        #expect(try await events.next(token: "introduce").path == "@introduceDomain")
        try fixture.other.releaseDomain(domid)
        #expect(try await events.next(token: "release").path == "@releaseDomain")
    }
}
