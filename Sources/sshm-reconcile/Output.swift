import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where commands print: results on stdout, diagnostics and errors on stderr.
enum Output {
    static func print(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func error(_ message: String) {
        FileHandle.standardError.write(Data("sshm-reconcile: \(message)\n".utf8))
    }

    static func diagnostics(_ lines: [some CustomStringConvertible]) {
        guard !lines.isEmpty else { return }
        FileHandle.standardError.write(Data(lines.map { "\($0)\n" }.joined().utf8))
    }

    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
}
