import SSHMCore
import SSHMReconcile
import Synchronization

/// A domain made by ``TestDomains/create(_:domid:uuid:memoryKiB:in:)``.
package struct TestDomain: Hashable, Sendable {
    package var domid: DomID
    package var name: String
    package var uuid: DomainUUID

    package var path: XenStorePath { XenStorePath("/local/domain/\(domid)") }
    package var vmPath: XenStorePath { XenStorePath("/vm/\(uuid)") }
}

/// Creates and destroys "domains" the way a toolstack (libxl) writes them to xenstore, on the fake or a real daemon.
///
/// In simulation a domain exists exactly while `/local/domain/<domid>` exists (docs/design.md, "Ports and the
/// simulated hypervisor"), so this is how tests add and remove domains.
package enum TestDomains {
    private static let nextDomID = Atomic<UInt32>(1000)

    /// A domid no other test of this process uses (1000 and up, below the reserved range).
    package static func uniqueDomID() -> DomID {
        let raw = nextDomID.wrappingAdd(1, ordering: .relaxed).oldValue
        return DomID(unchecked: 1000 + raw % (DomID.firstReserved - 1000))
    }

    /// A random version-4 UUID.
    package static func randomUUID() -> DomainUUID {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255) }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        return DomainUUID(bytes: bytes)
    }

    /// Writes `/local/domain/<domid>/{name,domid,vm}` (perms `n0,r<domid>` like libxl, set before the children so
    /// they inherit them), `/vm/<uuid>/{uuid,name}`, optionally `memory/static-max`, in one transaction; then
    /// introduces the domain, which fires `@introduceDomain`.
    @discardableResult
    package static func create(
        _ name: String, domid: DomID? = nil, uuid: DomainUUID? = nil, memoryKiB: UInt64? = nil,
        in store: some DomainIntroducing
    ) throws -> TestDomain {
        let domain = TestDomain(domid: domid ?? uniqueDomID(), name: name, uuid: uuid ?? randomUUID())
        let readable = [
            XenStorePermission(domid: 0, access: .none),
            XenStorePermission(domid: domain.domid.rawValue, access: .read),
        ]
        try withTransaction(store, policy: RetryPolicy()) { tx in
            try store.mkdir(domain.path, in: tx)
            try store.setPermissions(domain.path, readable, in: tx)
            try store.write(domain.path.appending("name"), name, in: tx)
            try store.write(domain.path.appending("domid"), "\(domain.domid)", in: tx)
            try store.write(domain.path.appending("vm"), domain.vmPath.rawValue, in: tx)
            if let memoryKiB { try store.write(domain.path.appending("memory/static-max"), "\(memoryKiB)", in: tx) }
            try store.mkdir(domain.vmPath, in: tx)
            try store.setPermissions(domain.vmPath, readable, in: tx)
            try store.write(domain.vmPath.appending("uuid"), domain.uuid.rawValue, in: tx)
            try store.write(domain.vmPath.appending("name"), name, in: tx)
        }
        try store.introduceDomain(domain.domid)
        return domain
    }

    /// Removes both trees in one transaction, then releases the domain, which fires `@releaseDomain`.
    package static func destroy(_ domain: TestDomain, in store: some DomainIntroducing) throws {
        try withTransaction(store, policy: RetryPolicy()) { tx in
            try store.remove(domain.path, in: tx)
            try store.remove(domain.vmPath, in: tx)
        }
        try store.releaseDomain(domain.domid)
    }
}
