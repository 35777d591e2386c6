import SSHMCore
import Synchronization
import Testing

/// A file whose check outlasts its deadline freezes with an error where checking stopped; the other files do not.
@Suite struct CheckDeadlineTests {
    static let regions = (0..<10).map {
        "  - {id: r\($0), owner: {domain: 1, begin: 0x\(String($0 + 1, radix: 16))000, size: 4KiB}}"
    }
    static let slow = "version: 1\nregions:\n" + regions.joined(separator: "\n") + "\n"

    /// Past after `checks` questions.
    static func deadline(after checks: Int) -> CheckDeadline {
        let asked = Atomic<Int>(0)
        return CheckDeadline { asked.add(1, ordering: .relaxed).newValue > checks }
    }

    @Test func aFileThatRunsOutOfTimeFreezesWithTheLineWhereCheckingStopped() throws {
        let good = "version: 1\nregions:\n  - {id: good, owner: {domain: 2, begin: 0x100000, size: 4KiB}}\n"
        let inputs = [
            ManifestInput(path: "10-slow.yaml", text: Self.slow), ManifestInput(path: "20-good.yaml", text: good),
        ]
        var files = 0
        let state = ManifestSet.validate(inputs, arch: .x86_64, directoryDiagnostics: []) {
            files += 1
            return files == 1 ? Self.deadline(after: 4) : .never
        }
        #expect(state.frozenSources == ["10-slow.yaml"])
        #expect(state.regions.map(\.id.rawValue) == ["good"])
        let error = try #require(state.diagnostics.first { $0.severity == .error })
        #expect(error.location?.line == 7)
        #expect(error.message.contains("took too long"))
    }

    @Test func aRegionWithManyBorrowersStopsAmongThem() throws {
        let borrowers = (0..<50).map { "      - {domain: b\($0), begin: 0x\(String($0 + 1, radix: 16))000}" }
        let text =
            "version: 1\nregions:\n  - id: wide\n    owner: {domain: 1, begin: 0x100000, size: 4KiB}\n"
            + "    borrowers:\n" + borrowers.joined(separator: "\n") + "\n"
        let decoded = ManifestDecoder.decode(
            Array(text.utf8), file: "m.yaml", arch: .x86_64, deadline: Self.deadline(after: 11))
        #expect(decoded.regions.isEmpty)
        #expect(decoded.diagnostics.map(\.location?.line) == [16])
    }

    @Test func aFileWithinItsDeadlineIsUntouched() {
        let decoded = ManifestDecoder.decode(
            Array(Self.slow.utf8), file: "m.yaml", arch: .x86_64, deadline: Self.deadline(after: 10))
        #expect(decoded.regions.count == 10)
        #expect(decoded.diagnostics.isEmpty)
    }
}
