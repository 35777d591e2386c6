#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// Where commands print: results on stdout, diagnostics and errors on stderr.
enum Output {
    static func print(_ text: String) {
        write(text, to: STDOUT_FILENO)
    }

    static func error(_ message: String) {
        write("sshm-reconcile: \(message)\n", to: STDERR_FILENO)
    }

    static func diagnostics(_ lines: [some CustomStringConvertible]) {
        guard !lines.isEmpty else { return }
        write(lines.map { "\($0)\n" }.joined(), to: STDERR_FILENO)
    }

    /// Writes all of `text` unbuffered, as FileHandle did (full Foundation's only), so that stdout and stderr
    /// interleave in the order written; a failed write drops the rest, there being nowhere to report it.
    private static func write(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let count = Glibc.write(descriptor, base + offset, buffer.count - offset)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { return }
                offset += count
            }
        }
    }

    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
}
