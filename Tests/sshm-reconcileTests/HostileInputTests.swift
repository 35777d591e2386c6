import Foundation
import Subprocess
import SystemPackage
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `validate` on hostile input, as anyone who can drop a file into the config directory may write it: the seeded
/// corpus of `scripts/generate-corpus`, and what cannot be committed (10 MB files, devices, FIFOs, a directory, an
/// unreadable file), made here. Each run is bounded to 2 s of CPU time and 1 GiB of address space, and killed after
/// 120 s of wall clock, which only a hang reaches (on a loaded CI host a run of 1 s of CPU has taken 17 s of wall
/// clock): no crash, no hang, exit 0 or 65, every content error with file:line.
@Suite("Hostile input")
struct HostileInputTests {
    static let corpusDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../SSHMCoreTests/Fixtures/corpus").standardizedFileURL.path
    static let corpus = ((try? FileManager.default.contentsOfDirectory(atPath: corpusDirectory)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.sorted()

    @Test func theCorpusHoldsAtLeast300HostileManifests() {
        #expect(Self.corpus.count >= 300)
    }

    @Test(arguments: corpus)
    func validateStaysWithinItsBoundsOnACorpusFile(_ name: String) async throws {
        let path = Self.corpusDirectory + "/" + name
        let report = try await Bounded.validate(path)
        #expect(report.status == 0 || report.status == 65, "\(report)")
        #expect(report.contentErrorsWithoutLine.isEmpty, "\(report.contentErrorsWithoutLine)")
    }

    /// One at a time: each 10 MB case is a second of CPU time, and the host runs the other suites meanwhile.
    @Test(.serialized, arguments: Hostile.allCases)
    func validateStaysWithinItsBoundsOnAHostileEntry(_ hostile: Hostile) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try hostile.make(in: directory.path)
        let report = try await Bounded.validate(path, unprivileged: hostile == .unreadable)
        #expect(report.status == 65, "\(report)")
        #expect(report.errors.contains { $0.file == path }, "\(report)")
        if hostile.isContent {
            #expect(report.contentErrorsWithoutLine.isEmpty, "\(report.contentErrorsWithoutLine)")
        }
    }
}

/// What cannot be committed to the corpus.
enum Hostile: String, CaseIterable, CustomTestStringConvertible {
    case tenMegabytesOfBinary, tenMegabytesOfOneScalar, tenMegabytesOfCommentsThenAnError
    case fiveThousandMisalignedRegions, tenMegabytesOfBrackets, overTheSizeLimit
    case symlinkToDevZero, symlinkToDevURandom, fifo, symlinkToFIFO, directory, danglingSymlink, unreadable

    var testDescription: String { rawValue }

    /// Whether the file is read, so that its errors point at a line; the others are refused as a whole.
    var isContent: Bool {
        switch self {
        case .tenMegabytesOfBinary, .tenMegabytesOfOneScalar, .tenMegabytesOfCommentsThenAnError,
            .fiveThousandMisalignedRegions, .tenMegabytesOfBrackets:
            true
        default: false
        }
    }

    static let tenMegabytes = 10 << 20

    /// Makes the entry `x.yaml` in `directory`; returns its path.
    func make(in directory: String) throws -> String {
        let path = directory + "/x.yaml"
        switch self {
        case .tenMegabytesOfBinary:
            var state: UInt64 = 20_261_204
            let bytes = (0..<Self.tenMegabytes).map { _ -> UInt8 in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: state >> 56)
            }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        case .tenMegabytesOfOneScalar:
            try write(path, "version: 1\nregions:\n  - id: " + String(repeating: "x", count: Self.tenMegabytes))
        case .tenMegabytesOfCommentsThenAnError:
            let line = "# " + String(repeating: "c", count: 97) + "\n"
            try write(path, String(repeating: line, count: Self.tenMegabytes / 100) + "version: 1\nregions: 7\n")
        case .fiveThousandMisalignedRegions:
            // The issue's quadratic case, at the size a debug build checks within the bound (Benchmarks/ times the
            // release build on 20,000).
            let regions = (0..<5_000).map { index in
                let begin = String(0x1_0000_0000 + index * 0x2000 + 1, radix: 16)
                return "  - {id: r\(index), owner: {domain: 1, begin: 0x\(begin), size: 0x1000}}\n"
            }
            try write(path, "version: 1\nregions:\n" + regions.joined())
        case .tenMegabytesOfBrackets:
            try write(path, "version: 1\nregions: " + String(repeating: "[", count: Self.tenMegabytes))
        case .overTheSizeLimit:
            try write(path, String(repeating: "# over the limit\n", count: (17 << 20) / 17))
        case .symlinkToDevZero: try symlink("/dev/zero", path)
        case .symlinkToDevURandom: try symlink("/dev/urandom", path)
        case .fifo: try check(mkfifo(path, 0o644))
        case .symlinkToFIFO:
            try check(mkfifo(directory + "/fifo", 0o644))
            try symlink(directory + "/fifo", path)
        case .directory: try check(mkdir(path, 0o755))
        case .danglingSymlink: try symlink(directory + "/nowhere", path)
        case .unreadable:
            try write(path, "version: 1\nregions: []\n")
            try check(chmod(path, 0))
        }
        return path
    }

    private func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    private func symlink(_ target: String, _ path: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
    }

    private func check(_ result: Int32) throws {
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }
}

/// `validate --json` of one path under the bounds of ``HostileInputTests``.
enum Bounded {
    struct Finding: Decodable, CustomStringConvertible {
        var file: String?
        var line: Int?
        var severity: String
        var message: String
        var description: String { "\(file ?? "-"):\(line.map(String.init) ?? "-"): \(severity): \(message)" }
    }

    struct Report: CustomStringConvertible {
        /// `nil` when a signal ended the process (a crash, or a bound reached).
        var status: Int32?
        var findings: [Finding]
        var stderr: String

        var errors: [Finding] { findings.filter { $0.severity == "error" } }
        /// Errors about the content that do not say where: the summary of findings cut by the display cap is not
        /// one.
        var contentErrorsWithoutLine: [Finding] {
            errors.filter { $0.line == nil && !$0.message.contains("not shown") }
        }
        var description: String {
            "exit \(status.map(String.init) ?? "by signal"): \(findings.prefix(3)) \(stderr.prefix(300))"
        }
    }

    private struct Document: Decodable {
        var diagnostics: [Finding]
    }

    static func validate(_ path: String, unprivileged: Bool = false) async throws -> Report {
        // CI runs as root, which reads any file: the unreadable case runs as nobody.
        let user =
            unprivileged && geteuid() == 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
        let arguments =
            ["--signal=KILL", "120", "prlimit", "--as=\(1 << 30)", "--cpu=2"] + user
            + [BuiltTool.path, "validate", "--json", "--arch", "x86_64", path]
        let result = try await Subprocess.run(
            .path("/usr/bin/timeout"), arguments: Arguments(arguments), output: .string(limit: 4 << 20),
            error: .string(limit: 1 << 20))
        var status: Int32?
        if case .exited(let code) = result.terminationStatus, code < 124 || code > 137 { status = code }
        let findings = (try? JSONDecoder().decode(Document.self, from: Data(result.standardOutput.utf8)))?
            .diagnostics
        return Report(status: status, findings: findings ?? [], stderr: result.standardError)
    }
}
