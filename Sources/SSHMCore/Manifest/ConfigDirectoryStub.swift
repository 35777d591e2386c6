// TEMPORARY STUB (not committed): replaced by the manifests branch.
package enum ConfigDirectory {
    package static func load(_ path: String, arch: Arch, requireSecureOwnership: Bool) -> DesiredState { DesiredState(files: []) }
}
