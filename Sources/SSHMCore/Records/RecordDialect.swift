/// The two spellings of a region record in xenstore.
///
/// The seed (v8 of the libxl series) wrote `master`, `slaves/` and roles `master`/`slave`; the downstream fork's
/// final form writes `owner`, `borrowers/` and roles `owner`/`borrower`. Both are read; new records are written in
/// the seed's spelling unless the operator asks for the fork's.
package enum RecordDialect: String, CaseIterable, Sendable {
    case masterSlave = "master-slave"
    case ownerBorrower = "owner-borrower"

    /// The key holding the owner's domid.
    package var ownerKey: String {
        switch self {
        case .masterSlave: "master"
        case .ownerBorrower: "owner"
        }
    }

    /// The directory holding one child per borrower domid.
    package var borrowersKey: String {
        switch self {
        case .masterSlave: "slaves"
        case .ownerBorrower: "borrowers"
        }
    }

    /// The value of `/local/domain/<domid>/static_shm/<id>/role` for `role`.
    package func roleValue(_ role: Role) -> String {
        switch (self, role) {
        case (.masterSlave, .owner): "master"
        case (.masterSlave, .borrower): "slave"
        case (.ownerBorrower, .owner): "owner"
        case (.ownerBorrower, .borrower): "borrower"
        }
    }

    /// Reads a role node written in either dialect.
    package static func role(from value: String) -> Role? {
        switch value {
        case "master", "owner": .owner
        case "slave", "borrower": .borrower
        default: nil
        }
    }
}
