import Foundation
import Testing

/// The bash completion the binary generates, driven as bash drives it: paths where a command takes paths.
@Suite("shell completion")
struct CompletionTests {
    /// What the completion offers for `words` (the last one being completed), run in a directory holding
    /// `a.yaml`, `b.yml`, `notes.txt`, `vm.cfg` and a folder `sub`.
    static func complete(_ words: [String]) async throws -> [String] {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for file in ["a.yaml", "b.yml", "notes.txt", "vm.cfg"] { try directory.write(file, "") }
        try FileManager.default.createDirectory(atPath: directory.path + "/sub", withIntermediateDirectories: false)
        let script = try await BuiltTool.run(["--generate-completion-script", "bash"])
        #expect(script.status == 0)
        let completion = try directory.write("completion.bash", script.stdout)
        let quoted = (["sshm-reconcile"] + words).map { "'\($0)'" }.joined(separator: " ")
        let driver = """
            source '\(completion)'
            COMP_WORDS=(\(quoted))
            COMP_CWORD=\(words.count)
            COMP_LINE="${COMP_WORDS[*]}"
            COMP_POINT=${#COMP_LINE}
            _sshm-reconcile sshm-reconcile "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\\n' "${COMPREPLY[@]}" | grep -v '^completion.bash$' | LC_ALL=C sort
            """
        let run = try await BuiltTool.run(program: "/bin/bash", ["-c", driver], in: directory.path)
        #expect(run.status == 0, "\(run.stderr)")
        return run.stdout.split(separator: "\n").map(String.init)
    }

    @Test func validateCompletesManifestsAndFolders() async throws {
        #expect(try await Self.complete(["validate", ""]) == ["a.yaml", "b.yml", "sub"])
    }

    @Test func configDirCompletesFoldersOnly() async throws {
        #expect(try await Self.complete(["plan", "--config-dir", ""]) == ["sub"])
        #expect(try await Self.complete(["validate", "--config-dir", ""]) == ["sub"])
    }

    @Test func importXLCompletesAnyFile() async throws {
        #expect(try await Self.complete(["import-xl", "v"]) == ["vm.cfg"])
    }

    @Test func testOnlyOptionsAreNotOffered() async throws {
        let offered = try await Self.complete(["apply", "--s"])
        #expect(offered == ["--state-dir"])
    }

    @Test func waitOffersItsOptionsAndFoldersForItsStateDir() async throws {
        #expect(try await Self.complete(["wait", "--t"]) == ["--timeout"])
        #expect(Set(try await Self.complete(["wait", "--d"])) == ["--domain", "--doorbell"])
        #expect(try await Self.complete(["wait", "--r"]) == ["--region"])
        #expect(try await Self.complete(["wait", "--state-dir", ""]) == ["sub"])
    }
}
