import SSHMReconcile
import Testing

/// What every ``XenStore`` must do, checked the same way on the in-memory fake, the C xenstored and oxenstored.
///
/// Each check is one function over a ``XenStoreFixture``; the test target runs each as a `@Test` parameterized over
/// ``XenStoreBackend``. Where the two daemons legitimately differ, a check asserts only what the engine may rely on,
/// and says so; the fake follows the stricter daemon.
///
/// What the engine may rely on, in short:
/// - absence is `nil` (read, directory, permissions); removing a missing node succeeds;
/// - values up to 2048 bytes round-trip exactly, the empty value included. Larger values are not portable:
///   oxenstored refuses anything over 2048 bytes even from dom0 (`quota-maxsize`, E2BIG), the C daemon exempts dom0
///   up to the 4096-byte request payload (path + NUL + value), and no daemon takes a 4096-byte value over
///   libxenstore: it fails with `.quotaExceeded` everywhere and changes nothing;
/// - a transaction's writes are invisible to others until commit and vanish on abort; a commit conflicts
///   (retriably) when another connection changed a node the transaction read and wrote. oxenstored merges
///   transactions that only create siblings, the C daemon fails one of them: code must be correct either way;
/// - a watch fires once on registration with the watched path, then for changes at or below it, and for a
///   transaction's changes only on commit; `@introduceDomain` and `@releaseDomain` fire on introduce and release
///   (in 4.17 without naming the domain).
package enum XenStoreContract {
    /// Reading, listing, or asking the permissions of a missing node gives `nil`, not an error.
    package static func absentNodeReadsAsNil(_ fixture: XenStoreFixture) throws {
        let missing = fixture.root.appending("missing")
        #expect(try fixture.store.read(missing, in: nil) == nil)
        #expect(try fixture.store.directory(missing, in: nil) == nil)
        #expect(try fixture.store.permissions(missing, in: nil) == nil)
    }

    /// Values round-trip exactly, the empty value and a 2048-byte value included; a write replaces the value.
    package static func valuesRoundTrip(_ fixture: XenStoreFixture) throws {
        let node = fixture.root.appending("value")
        for value in ["", "x", "0x7fe00000", "two words", "sshm-reconcile", String(repeating: "v", count: 2048)] {
            try fixture.store.write(node, value, in: nil)
            #expect(try fixture.store.read(node, in: nil) == value)
            #expect(try fixture.other.read(node, in: nil) == value, "seen from another connection")
        }
    }

    /// A 4096-byte value is refused with `.quotaExceeded` (E2BIG) and leaves the node unchanged.
    package static func oversizedValueIsRefused(_ fixture: XenStoreFixture) throws {
        let node = fixture.root.appending("big")
        try fixture.store.write(node, "before", in: nil)
        let error = #expect(throws: XenStoreError.self) {
            try fixture.store.write(node, String(repeating: "v", count: 4096), in: nil)
        }
        #expect(error?.code == .quotaExceeded)
        #expect(try fixture.store.read(node, in: nil) == "before")
    }

    /// `mkdir` creates missing parents with empty values and leaves an existing node's value alone.
    package static func mkdirCreatesParents(_ fixture: XenStoreFixture) throws {
        let deep = fixture.root.appending("a").appending("b").appending("c")
        try fixture.store.mkdir(deep, in: nil)
        #expect(try fixture.store.read(fixture.root.appending("a"), in: nil) == "")
        #expect(try fixture.store.read(deep, in: nil) == "")
        try fixture.store.write(deep, "kept", in: nil)
        try fixture.store.mkdir(deep, in: nil)
        #expect(try fixture.store.read(deep, in: nil) == "kept")
    }

    /// `remove` takes the whole subtree; removing a missing node, even below a missing parent, succeeds.
    package static func removeTakesTheSubtree(_ fixture: XenStoreFixture) throws {
        let branch = fixture.root.appending("branch")
        try fixture.store.write(branch.appending("leaf"), "1", in: nil)
        try fixture.store.write(branch.appending("twig").appending("leaf"), "2", in: nil)
        try fixture.store.write(fixture.root.appending("sibling"), "3", in: nil)
        try fixture.store.remove(branch, in: nil)
        #expect(try fixture.store.read(branch.appending("twig").appending("leaf"), in: nil) == nil)
        #expect(try fixture.store.directory(branch, in: nil) == nil)
        #expect(try fixture.store.directory(fixture.root, in: nil) == ["sibling"])
        try fixture.store.remove(branch, in: nil)
        try fixture.store.remove(fixture.root.appending("nowhere").appending("missing"), in: nil)
    }

    /// `directory` lists the names of the children (in no particular order); a leaf has none.
    package static func directoryListsChildren(_ fixture: XenStoreFixture) throws {
        for name in ["telemetry", "ring-0", "ring_1"] {
            try fixture.store.write(fixture.root.appending(name).appending("size"), "0x1000", in: nil)
        }
        #expect(try fixture.store.directory(fixture.root, in: nil)?.sorted() == ["ring-0", "ring_1", "telemetry"])
        #expect(try fixture.store.directory(fixture.root.appending("telemetry").appending("size"), in: nil) == [])
    }

    /// `readMany` answers each query as the same call alone would, in order: values (the empty one too), listings,
    /// permissions, and `nil` for missing nodes, mixed in one batch; `readMany(_:each:)` hands on the same answers,
    /// each once, in order.
    package static func readManyAnswersLikeSeparateCalls(_ fixture: XenStoreFixture) throws {
        let record = fixture.root.appending("record")
        try fixture.store.write(record.appending("size"), "0x1000", in: nil)
        try fixture.store.write(record.appending("prot"), "", in: nil)
        try fixture.store.write(record.appending("slaves").appending("3").appending("state"), "mapped", in: nil)
        let guestReadable = [XenStorePermission(domid: 0, access: .none), XenStorePermission(domid: 5, access: .read)]
        try fixture.store.setPermissions(record.appending("prot"), guestReadable, in: nil)
        let queries: [XenStoreQuery] = [
            .read(record.appending("size")), .directory(record), .read(record.appending("prot")),
            .read(record.appending("missing")), .directory(record.appending("size")),
            .directory(fixture.root.appending("missing")),
            .read(record.appending("slaves").appending("3").appending("state")),
            .permissions(record.appending("prot")), .permissions(record.appending("missing")),
        ]
        let answers = try fixture.store.readMany(queries)
        #expect(answers.count == queries.count)
        #expect(answers[0] == .value("0x1000"))
        #expect(answers[1].children?.sorted() == ["prot", "size", "slaves"])
        #expect(answers[2] == .value(""))
        #expect(answers[3] == .value(nil))
        #expect(answers[4] == .children([]))
        #expect(answers[5] == .children(nil))
        #expect(answers[6] == .value("mapped"))
        #expect(answers[7] == .permissions(guestReadable))
        #expect(answers[7] == .permissions(try fixture.store.permissions(record.appending("prot"), in: nil)))
        #expect(answers[8] == .permissions(nil))
        #expect(try fixture.store.readMany([]) == [])

        var handed: [(Int, XenStoreAnswer)] = []
        try fixture.store.readMany(queries) { handed.append(($0, $1)) }
        #expect(handed.map(\.0) == Array(queries.indices))
        #expect(handed.map(\.1) == answers)
    }

    /// Permissions round-trip (`n0`, then `n0 r5`); nodes created later inherit their parent's.
    package static func permissionsRoundTrip(_ fixture: XenStoreFixture) throws {
        let node = fixture.root.appending("record")
        try fixture.store.write(node, "", in: nil)
        try fixture.store.setPermissions(node, XenStorePermission.dom0Only, in: nil)
        #expect(try fixture.store.permissions(node, in: nil) == XenStorePermission.dom0Only)
        let guestReadable = [XenStorePermission(domid: 0, access: .none), XenStorePermission(domid: 5, access: .read)]
        try fixture.store.setPermissions(node, guestReadable, in: nil)
        #expect(try fixture.store.permissions(node, in: nil) == guestReadable)
        try fixture.store.write(node.appending("child"), "x", in: nil)
        #expect(try fixture.other.permissions(node.appending("child"), in: nil) == guestReadable)
    }

    /// Setting the permissions of a missing node fails with `.notFound`.
    package static func permissionsOfMissingNodeAreNotFound(_ fixture: XenStoreFixture) throws {
        let error = #expect(throws: XenStoreError.self) {
            try fixture.store.setPermissions(fixture.root.appending("missing"), XenStorePermission.dom0Only, in: nil)
        }
        #expect(error?.code == .notFound)
    }
}
