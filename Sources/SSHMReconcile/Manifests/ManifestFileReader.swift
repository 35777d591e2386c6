import SSHMCore

#if canImport(Glibc)
    import Glibc
#endif

/// Reads manifests from disk: the thin I/O edge in front of the pure validator.
package struct ManifestFileReader: Sendable {
    /// Largest manifest read; larger files are refused (a manifest of 10,000 regions is about 2 MiB).
    package var maxFileSize: Int
    /// Refuse (error) instead of warn when a file is not owned by root or is writable by group or others.
    package var requireTrust: Bool
    /// The paths were named on the command line (`validate FILE…`), not found in a config dir: a directory among
    /// them is then one to check with `--config-dir`, not an entry to rename.
    package var namedByUser = false

    package init(requireTrust: Bool, maxFileSize: Int = ManifestDecoder.maxFileSize) {
        self.requireTrust = requireTrust
        self.maxFileSize = maxFileSize
    }

    /// One file's bytes, or the diagnostics that say why it was not read.
    ///
    /// The file is opened first and checked through its descriptor, so the checks apply to the bytes read even if
    /// the path is replaced meanwhile; `O_NONBLOCK` keeps a FIFO named `*.yaml` from hanging the tool.
    package func read(_ path: String) -> ManifestInput {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard descriptor >= 0 else { return refused(path, "cannot open the file: \(SystemErrno(errno))") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            return refused(path, "cannot inspect the file: \(SystemErrno(errno))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            if namedByUser, info.st_mode & S_IFMT == S_IFDIR {
                return refused(path, "a directory, not a manifest; check the manifests in it with --config-dir \(path)")
            }
            return refused(path, "not a regular file; remove it or rename it so that it does not end in .yaml")
        }
        let trust = FileTrust.check(
            path: path, uid: UInt32(info.st_uid), mode: UInt32(info.st_mode), subject: .manifest,
            required: requireTrust)
        if requireTrust, !trust.isEmpty { return ManifestInput(path: path, refused: trust) }
        guard Int(info.st_size) <= maxFileSize else { return tooLarge(path) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size))
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                return refused(path, "cannot read the file: \(SystemErrno(errno))")
            }
            bytes += buffer[..<count]
            if bytes.count > maxFileSize { return tooLarge(path) }
        }
        return ManifestInput(path: path, bytes: bytes, diagnostics: trust)
    }

    private func refused(_ path: String, _ message: String) -> ManifestInput {
        ManifestInput(path: path, refused: [Diagnostic(.error, message, file: path)])
    }

    private func tooLarge(_ path: String) -> ManifestInput {
        refused(path, ManifestDecoder.tooLarge(maxFileSize))
    }
}
