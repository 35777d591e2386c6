import SSHMReconcile
import Testing

extension XenStoreContract {
    /// A transaction sees its own writes; others see them only after commit, all at once.
    package static func committedTransactionIsVisible(_ fixture: XenStoreFixture) throws {
        let owner = fixture.root.appending("t").appending("master")
        let size = fixture.root.appending("t").appending("size")
        let tx = try fixture.store.startTransaction()
        try fixture.store.write(owner, "3", in: tx)
        try fixture.store.write(size, "0x200000", in: tx)
        #expect(try fixture.store.read(owner, in: tx) == "3")
        #expect(try fixture.other.read(owner, in: nil) == nil, "uncommitted writes are invisible to others")
        try fixture.store.commit(tx)
        #expect(try fixture.other.read(owner, in: nil) == "3")
        #expect(try fixture.other.read(size, in: nil) == "0x200000")
    }

    /// An aborted transaction leaves no trace; aborting twice is harmless.
    package static func abortedTransactionLeavesNoTrace(_ fixture: XenStoreFixture) throws {
        let node = fixture.root.appending("aborted")
        let tx = try fixture.store.startTransaction()
        try fixture.store.write(node, "never", in: tx)
        fixture.store.abort(tx)
        fixture.store.abort(tx)
        #expect(try fixture.store.read(node, in: nil) == nil)
        #expect(try fixture.other.read(node, in: nil) == nil)
    }

    /// Two connections read and write the same node in transactions: the first commit wins, the second fails with a
    /// retriable `.conflict` and leaves no trace, not even of its other writes.
    package static func conflictingCommitIsRetriable(_ fixture: XenStoreFixture) throws {
        let counter = fixture.root.appending("usercnt")
        let marker = fixture.root.appending("loser-was-here")
        try fixture.store.write(counter, "1", in: nil)
        let first = try fixture.store.startTransaction()
        let second = try fixture.other.startTransaction()
        #expect(try fixture.store.read(counter, in: first) == "1")
        #expect(try fixture.other.read(counter, in: second) == "1")
        try fixture.store.write(counter, "2", in: first)
        try fixture.other.write(counter, "3", in: second)
        try fixture.other.write(marker, "x", in: second)
        try fixture.store.commit(first)
        let error = #expect(throws: XenStoreError.self) { try fixture.other.commit(second) }
        #expect(error?.code == .conflict)
        #expect(error?.isRetriable == true)
        #expect(try fixture.store.read(counter, in: nil) == "2")
        #expect(try fixture.store.read(marker, in: nil) == nil)
    }

    /// A transaction that writes nodes without reading them, while another connection creates or removes them: the
    /// fake fails the commit with a conflict (as the C daemon does when each write reaches it at once), but the real
    /// daemons commit it and the transaction's writes win. oxenstored's conflict check covers only what the
    /// transaction read; ``LibXenStore`` sends a transaction's writes together with its next read or its commit, so
    /// on the C daemon too they reach the store after the other connection's change. The engine may rely on a
    /// conflict only for nodes it read inside the transaction, and reads every node it bases a write on.
    package static func blindWritesMayMerge(_ fixture: XenStoreFixture) throws {
        let merges = fixture.backend != .inMemory
        let record = fixture.root.appending("record")
        try fixture.store.mkdir(fixture.root, in: nil)
        let create = try fixture.store.startTransaction()
        try fixture.store.write(record.appending("manager"), "sshm-reconcile", in: create)
        try fixture.other.write(record.appending("manager"), "someone-else", in: nil)
        if merges {
            try fixture.store.commit(create)
            #expect(try fixture.store.read(record.appending("manager"), in: nil) == "sshm-reconcile")
        } else {
            #expect(throws: XenStoreError.self) { try fixture.store.commit(create) }
            #expect(try fixture.store.read(record.appending("manager"), in: nil) == "someone-else")
        }

        let entry = fixture.root.appending("slaves").appending("5")
        try fixture.store.write(entry.appending("state"), "mapping", in: nil)
        let update = try fixture.store.startTransaction()
        try fixture.store.write(entry.appending("state"), "mapped", in: update)
        try fixture.other.remove(entry, in: nil)
        if merges {
            try fixture.store.commit(update)
            #expect(try fixture.store.read(entry.appending("state"), in: nil) == "mapped", "half an entry, recreated")
        } else {
            #expect(throws: XenStoreError.self) { try fixture.store.commit(update) }
            #expect(try fixture.store.directory(entry, in: nil) == nil)
        }
    }

    /// A transaction that read a node another connection changed (outside any transaction) cannot commit.
    package static func outsideWriteToReadNodeConflicts(_ fixture: XenStoreFixture) throws {
        let node = fixture.root.appending("state")
        try fixture.store.write(node, "mapping", in: nil)
        let tx = try fixture.store.startTransaction()
        #expect(try fixture.store.read(node, in: tx) == "mapping")
        try fixture.store.write(fixture.root.appending("usercnt"), "2", in: tx)
        try fixture.other.write(node, "unmapping", in: nil)
        let error = #expect(throws: XenStoreError.self) { try fixture.store.commit(tx) }
        #expect(error?.code == .conflict)
        #expect(try fixture.store.read(fixture.root.appending("usercnt"), in: nil) == nil)
    }

    /// `readMany` inside a transaction answers as the same reads one by one would: after the transaction's own
    /// changes, which no one else sees yet, and as part of what the transaction read, so that another connection
    /// changing one of those nodes makes the commit conflict.
    package static func readManyInATransactionSeesItsChangesAndConflicts(_ fixture: XenStoreFixture) throws {
        let record = fixture.root.appending("record")
        let size = record.appending("size")
        let state = record.appending("state")
        try fixture.store.write(size, "0x1000", in: nil)
        let tx = try fixture.store.startTransaction()
        try fixture.store.write(state, "mapping", in: tx)
        let answers = try fixture.store.readMany(
            [.read(size), .read(state), .directory(record), .read(record.appending("missing")), .directory(state)],
            in: tx)
        #expect(answers.count == 5)
        #expect(answers.first == .value("0x1000"))
        #expect(answers.dropFirst().first == .value("mapping"))
        #expect(answers.dropFirst(2).first?.children?.sorted() == ["size", "state"])
        #expect(answers.dropFirst(3).first == .value(nil))
        #expect(answers.dropFirst(4).first == .children([]))
        #expect(try fixture.store.readMany([], in: tx) == [])
        #expect(try fixture.other.read(state, in: nil) == nil)
        try fixture.other.write(size, "0x2000", in: nil)
        let error = #expect(throws: XenStoreError.self) { try fixture.store.commit(tx) }
        #expect(error?.code == .conflict)
        #expect(try fixture.other.read(state, in: nil) == nil)
    }

    /// A change that fails inside a transaction fails the transaction, at the call or at the latest at its commit (a
    /// store may send a transaction's changes together, and report their errors when it waits for the replies), with
    /// the failing path; nothing of the transaction is written, neither the changes before the failure nor after it,
    /// and the store serves the next transaction.
    package static func failingChangeWritesNothingOfItsTransaction(_ fixture: XenStoreFixture) throws {
        let before = fixture.root.appending("before")
        let after = fixture.root.appending("after")
        let missing = fixture.root.appending("missing").appending("node")
        try fixture.store.mkdir(fixture.root, in: nil)
        let tx = try fixture.store.startTransaction()
        let error = #expect(throws: XenStoreError.self) {
            try fixture.store.write(before, "1", in: tx)
            try fixture.store.setPermissions(missing, XenStorePermission.dom0Only, in: tx)
            try fixture.store.write(after, "2", in: tx)
            try fixture.store.commit(tx)
        }
        fixture.store.abort(tx)
        #expect(error?.code == .notFound)
        #expect(error?.path == missing)
        #expect(try fixture.other.read(before, in: nil) == nil)
        #expect(try fixture.other.read(after, in: nil) == nil)
        #expect(try fixture.other.read(missing, in: nil) == nil)

        let next = try fixture.store.startTransaction()
        try fixture.store.write(after, "3", in: next)
        try fixture.store.commit(next)
        #expect(try fixture.other.read(after, in: nil) == "3")
    }

    /// What a fresh guest view relies on (`RecordWriter.writeFreshView`): inside one transaction, removing a node
    /// takes its children and their permissions with it (removing a missing one is no error), and a node written
    /// again and given new permissions passes them to the children written after it, not the parent's.
    package static func freshDirectoryPassesItsPermissionsOnInATransaction(_ fixture: XenStoreFixture) throws {
        let parent = fixture.root.appending("static_shm")
        let directory = parent.appending("r1")
        let guestWritable = [XenStorePermission(domid: 5, access: .none)]
        let guestReadable = [XenStorePermission(domid: 0, access: .none), XenStorePermission(domid: 5, access: .read)]
        try fixture.store.write(directory.appending("begin"), "0x1", in: nil)
        try fixture.store.setPermissions(parent, guestWritable, in: nil)
        try fixture.store.setPermissions(directory, guestWritable, in: nil)
        try fixture.store.setPermissions(directory.appending("begin"), guestWritable, in: nil)
        let missing = parent.appending("r2")
        try withTransaction(fixture.store, policy: RetryPolicy(attempts: 1)) { tx in
            for view in [directory, missing] {
                try fixture.store.remove(view, in: tx)
                try fixture.store.write(view, "", in: tx)
                try fixture.store.setPermissions(view, guestReadable, in: tx)
                try fixture.store.write(view.appending("begin"), "0x2", in: tx)
                try fixture.store.write(view.appending("size"), "0x1000", in: tx)
            }
        }
        for view in [directory, missing] {
            for node in [view, view.appending("begin"), view.appending("size")] {
                #expect(try fixture.other.permissions(node, in: nil) == guestReadable, "\(node)")
            }
            #expect(try fixture.other.read(view.appending("begin"), in: nil) == "0x2")
        }
        #expect(try fixture.other.permissions(parent, in: nil) == guestWritable)
    }
}
