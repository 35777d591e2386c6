import Foundation
import SSHMCore
import SSHMTestSupport
import Testing

/// Hundreds of bad manifests (hand-written and mutated by `scripts/generate-corpus`): none may crash the validator
/// or slip through, every one gets an error with a line number, and no message echoes the file.
@Suite struct CorpusTests {
    static let files = Fixtures.names(in: "corpus")

    @Test func theCorpusHasAtLeast150Files() {
        #expect(Self.files.count >= 150)
    }

    @Test(arguments: files)
    func aBadManifestGetsAnErrorWithALine(_ name: String) throws {
        let state = ManifestSet.validate(
            [ManifestInput(path: name, bytes: try Fixtures.bytes("corpus", name))], arch: .x86_64)
        #expect(state.frozenSources == [name])
        #expect(state.diagnostics.contains { $0.severity == .error && $0.location != nil })
        #expect(state.diagnostics.allSatisfy { $0.description.utf8.count < 400 })
    }

    @Test func aTenMegabyteScalarIsRefusedWithoutBeingEchoed() throws {
        let text = "version: 1\nregions:\n  - id: " + String(repeating: "x", count: 10 << 20) + "\n"
        let state = ManifestSet.validate([ManifestInput(path: "big.yaml", text: text)], arch: .x86_64)
        let error = try #require(state.diagnostics.first { $0.severity == .error })
        #expect(error.location?.line == 3)
        #expect(error.message.utf8.count < 200)
    }

    @Test func tenMegabytesOfCommentsStillPointAtTheLine() {
        let comments = String(repeating: "# " + String(repeating: "c", count: 98) + "\n", count: 100_000)
        let state = ManifestSet.validate(
            [ManifestInput(path: "big.yaml", text: comments + "version: 1\nregions: 7\n")], arch: .x86_64)
        #expect(state.diagnostics.map(\.location?.line) == [100_002])
    }
}
