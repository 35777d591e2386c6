import SSHMCore

#if canImport(Glibc)
    import Glibc
#endif

/// Loads the config directory (`/etc/sshm.d`): the I/O edge of `plan`, `apply`, the daemon and `validate`; what it
/// reads goes to the pure ``ManifestSet/validate(_:arch:directoryDiagnostics:)`` as bytes.
package enum ConfigDirectory {
    package static let defaultPath = "/etc/sshm.d"

    /// Reads and validates every manifest in `path`. A missing or unreadable dir gives zero files and a
    /// directory diagnostic (an empty/missing dir must never look like "prune everything").
    package static func load(
        _ path: String, arch: Arch, archIsKnown: Bool = false, requireSecureOwnership: Bool
    ) -> DesiredState {
        let reader = ManifestFileReader(requireTrust: requireSecureOwnership)
        let listing = list(path, requireTrust: requireSecureOwnership)
        let inputs = listing.names.map { name -> ManifestInput in
            let file = join(path, name)
            guard listing.trusted else {
                return ManifestInput(
                    path: file,
                    refused: [
                        Diagnostic(.note, "not read because its directory is not trusted (see above)", file: file)
                    ])
            }
            return reader.read(file)
        }
        return ManifestSet.validate(
            inputs, arch: arch, archIsKnown: archIsKnown, directoryDiagnostics: listing.diagnostics)
    }

    struct Listing {
        var names: [String] = []
        var diagnostics: [Diagnostic] = []
        var trusted = true
    }

    static func list(_ path: String, requireTrust: Bool) -> Listing {
        var listing = Listing()
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            let message =
                code == ENOENT
                ? "the config directory does not exist; create it (mkdir -m 755 \(path)) or pass --config-dir"
                : "cannot inspect the config directory: \(SystemErrno(code))"
            listing.diagnostics.append(Diagnostic(.error, message, file: path))
            return listing
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            listing.diagnostics.append(
                Diagnostic(.error, "not a directory; pass the directory that holds the manifests", file: path))
            return listing
        }
        let trust = FileTrust.check(
            path: path, uid: UInt32(info.st_uid), mode: UInt32(info.st_mode), subject: .directory,
            required: requireTrust)
        listing.diagnostics += trust
        listing.trusted = !(requireTrust && !trust.isEmpty)
        guard let stream = opendir(path) else {
            listing.diagnostics.append(
                Diagnostic(
                    .error, "cannot list the config directory: \(SystemErrno(errno))", file: path))
            return listing
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            names.append(name)
        }
        listing.names = ManifestNames.select(names)
        if listing.names.isEmpty {
            listing.diagnostics.append(
                Diagnostic(
                    .warning, "the config directory holds no manifests (files ending in .yaml or .yml)",
                    file: path))
        }
        return listing
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}

/// Loads manifests named on the command line: `validate FILE…`.
package enum ManifestFiles {
    /// Validates the given files (as `validate FILE…` does) — same rules, cross-file checks included.
    ///
    /// Files take precedence by base name in lexical order, as they would in a config dir, whatever order the
    /// command line gave; a path given twice is read once.
    package static func load(
        _ paths: [String], arch: Arch, archIsKnown: Bool = false, requireSecureOwnership: Bool
    ) -> DesiredState {
        var reader = ManifestFileReader(requireTrust: requireSecureOwnership)
        reader.namedByUser = true
        var seen: Set<String> = []
        let ordered = paths.filter { seen.insert($0).inserted }.sorted { lhs, rhs in
            let (left, right) = (baseName(lhs), baseName(rhs))
            return left != right ? ManifestNames.precedes(left, right) : ManifestNames.precedes(lhs, rhs)
        }
        return ManifestSet.validate(
            ordered.map(reader.read), arch: arch, archIsKnown: archIsKnown, directoryDiagnostics: [])
    }

    static func baseName(_ path: String) -> Substring {
        path.split(separator: "/", omittingEmptySubsequences: true).last ?? Substring(path)
    }
}
