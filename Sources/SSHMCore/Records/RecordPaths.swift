/// Where records live in xenstore (docs/design.md, "Records").
package enum RecordPaths {
    /// Parent of every region record.
    package static let root = "/libxl/static_shm"
    /// Our own tree: the index of managed ids.
    package static let toolRoot = "/tool/sshm-reconcile"
    package static let indexRoot = "/tool/sshm-reconcile/index"

    package static func record(_ id: RegionID) -> String { "\(root)/\(id.rawValue)" }

    /// `/local/domain/<domid>/static_shm/<id>/role`.
    package static func role(domid: DomID, id: RegionID) -> String {
        "/local/domain/\(domid.rawValue)/static_shm/\(id.rawValue)/role"
    }

    /// `/local/domain/<domid>/static_shm/<id>`: removed with the role.
    package static func roleDirectory(domid: DomID, id: RegionID) -> String {
        "/local/domain/\(domid.rawValue)/static_shm/\(id.rawValue)"
    }

    /// `/tool/sshm-reconcile/index/<xx>/<id>`.
    package static func indexEntry(_ id: RegionID) -> String { "\(indexRoot)/\(shard(of: id))/\(id.rawValue)" }

    /// Two hex digits from the low byte of the 32-bit FNV-1a hash of the id's bytes: stable across versions and
    /// machines, and about 40 ids per shard at 10,000 regions, so that no listing comes near xenstore's 4096-byte
    /// reply limit (which oxenstored breaks the connection over).
    package static func shard(of id: RegionID) -> String {
        var hash: UInt32 = 0x811C_9DC5
        for byte in id.rawValue.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        let low = hash & 0xFF
        return (low < 16 ? "0" : "") + String(low, radix: 16)
    }
}
