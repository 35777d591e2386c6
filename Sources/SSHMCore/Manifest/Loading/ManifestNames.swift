/// Which directory entries are manifests, and in which order they are read; pure.
package enum ManifestNames {
    /// Suffixes of files that package managers and editors leave behind.
    package static let backupSuffixes = ["~", ".bak", ".orig", ".swp", ".tmp", ".rpmnew", ".rpmsave"]
    /// Infixes of files that package managers leave behind (`x.yaml.dpkg-old`, `x.ucf-dist`).
    package static let backupInfixes = [".dpkg-", ".ucf-"]

    /// True for `*.yaml` and `*.yml` names that are neither dot-files nor backups.
    package static func isManifest(_ name: String) -> Bool {
        guard !name.hasPrefix("."), name.hasSuffix(".yaml") || name.hasSuffix(".yml") else { return false }
        if backupSuffixes.contains(where: { name.hasSuffix($0) }) { return false }
        return !backupInfixes.contains { name.contains($0) }
    }

    /// The manifests among `names`, in lexical byte order (as systemd orders `*.d` drop-ins, whatever the locale).
    package static func select(_ names: [String]) -> [String] {
        names.filter(isManifest).sorted(by: precedes)
    }

    /// Byte-wise order of UTF-8 strings.
    package static func precedes(_ lhs: some StringProtocol, _ rhs: some StringProtocol) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }
}

/// Whether a manifest or the config dir may be trusted: owned by root and not writable by group or others; pure.
///
/// The tool runs as root and maps guest memory on the files' word, so `plan`, `apply` and the daemon refuse what
/// another user could have written, as sshd does with its keys; `validate FILE` only warns.
package enum FileTrust {
    package enum Subject {
        case manifest
        case directory
    }

    /// Diagnostics for a file or directory with owner `uid` and permission bits `mode`; empty when trusted.
    package static func check(
        path: String, uid: UInt32, mode: UInt32, subject: Subject, required: Bool
    ) -> [Diagnostic] {
        let what = subject == .manifest ? "manifest" : "config directory"
        let consequence =
            switch (subject, required) {
            case (.manifest, true): "so it is not applied and its regions are frozen"
            case (.directory, true): "so none of its manifests are applied"
            case (_, false): "which plan, apply and the daemon refuse"
            }
        let severity: Diagnostic.Severity = required ? .error : .warning
        var found: [Diagnostic] = []
        if uid != 0 {
            found.append(
                Diagnostic(
                    severity, "the \(what) is owned by uid \(uid), not root, \(consequence); run 'chown root \(path)'",
                    file: path))
        }
        if mode & 0o022 != 0 {
            found.append(
                Diagnostic(
                    severity,
                    "the \(what) has mode \(octal(mode & 0o7777)), writable by group or others, \(consequence); run "
                        + "'chmod go-w \(path)'",
                    file: path))
        }
        return found
    }

    package static func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
