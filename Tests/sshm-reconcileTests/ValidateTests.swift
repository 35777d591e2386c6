import Foundation
import SSHMCore
import Testing

/// `sshm-reconcile validate`, run as the built binary.
@Suite struct ValidateTests {
    static let valid = """
        version: 1
        regions:
          - id: telemetry
            owner: {domain: sensor-vm, begin: 0x7fe00000, size: 2MiB}
            borrowers:
              - {domain: logger-vm, begin: 0x1000000000, prot: ro}

        """

    @Test func validFilesExitZeroWithTheSummaryOnStdout() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("a.yaml", Self.valid)
        try directory.write("b.yaml", "version: 1\nregions: []\n")
        let run = try await BuiltTool.run(["validate", "a.yaml", "b.yaml", "--arch", "x86_64"], in: directory.path)
        #expect(run.status == 0)
        #expect(run.stdout == "2 files, 1 region, 0 errors, 1 warning\n")
        #expect(run.stderr.hasPrefix("a.yaml:6:56: warning: 'prot: ro' is recorded"))
    }

    @Test func anErrorExits65AndGoesToStderr() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("a.yaml", Self.valid.replacingOccurrences(of: "2MiB", with: "two"))
        let run = try await BuiltTool.run(["validate", "a.yaml"], in: directory.path)
        #expect(run.status == 65)
        #expect(run.stdout == "1 file, 0 regions, 1 error, 1 warning\n")
        #expect(
            run.stderr.split(separator: "\n").first
                == "a.yaml:4:57: error: expected a size such as 2MiB or 0x200000, found 'two'")
    }

    @Test func aConfigDirIsCheckedLikePlanWouldCheckIt() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("10-a.yaml", Self.valid)
        try directory.write("20-b.yaml", Self.valid)
        try directory.write("20-b.yaml.dpkg-old", "garbage")
        let run = try await BuiltTool.run(["validate", "--config-dir", directory.path, "--arch", "arm64"])
        #expect(run.status == 65)
        #expect(run.stdout == "2 files, 1 region, 1 error, 2 warnings\n")
        #expect(run.stderr.contains("20-b.yaml:3:9: error: region id 'telemetry' is already declared at"))
    }

    @Test func jsonPrintsOneDocumentOnStdout() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("a.yaml", "version: 7\nregions: []\n")
        let run = try await BuiltTool.run(["validate", "--json", "a.yaml"], in: directory.path)
        #expect(run.status == 65)
        #expect(run.stderr.isEmpty)
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(object?["errors"] as? Int == 1)
        #expect(object?["regions"] as? Int == 0)
        let finding = (object?["diagnostics"] as? [[String: Any]])?.first
        #expect(finding?["file"] as? String == "a.yaml")
        #expect(finding?["line"] as? Int == 1)
        #expect(finding?["column"] as? Int == 10)
        #expect(finding?["severity"] as? String == "error")
    }

    @Test func aDirectoryAndFilesTogetherIsAUsageError() async throws {
        let run = try await BuiltTool.run(["validate", "--config-dir", "/tmp", "a.yaml"])
        #expect(run.status == 64)
    }

    @Test func aMissingDirectoryExits65() async throws {
        let run = try await BuiltTool.run(["validate", "--config-dir", "/nonexistent/sshm.d"])
        #expect(run.status == 65)
        #expect(run.stdout == "0 files, 0 regions, 1 error, 0 warnings\n")
    }
}

/// A cache policy meant for another architecture: accepted (a manifest may serve several hosts), and warned about
/// where the host's architecture is known.
@Suite("cache policy for another architecture")
struct ForeignCachePolicyTests {
    static let manifest = """
        version: 1
        regions:
          - id: telemetry
            owner: {domain: sensor-vm, begin: 0x7fe00000, size: 4KiB, cache_policy: ARM_normal}

        """
    static let warning =
        "warning: cache_policy ARM_normal is for arm64 hosts and the host is x86_64, where it is only recorded for "
        + "the guests; write x86_normal (or leave it out) unless this manifest also serves arm64 hosts"

    @Test func validateWarnsOnlyWhenTheArchitectureIsNamed() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("a.yaml", Self.manifest)
        let named = try await BuiltTool.run(["validate", "a.yaml", "--arch", "x86_64"], in: directory.path)
        #expect(named.status == 0)
        #expect(named.stderr == "a.yaml:4:77: \(Self.warning)\n")
        let unnamed = try await BuiltTool.run(["validate", "a.yaml"], in: directory.path)
        #expect(unnamed.status == 0)
        #expect(unnamed.stderr == "")
    }

    @Test(.enabled(if: Arch.host == .x86_64), arguments: ["plan", "apply", "status"])
    func hostCommandsWarnNamingTheHostsArchitecture(_ command: String) async throws {
        try await HostWorld.with { world in
            try world.manifest("10-a.yaml", Self.manifest)
            let run = try await world.run([command])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr == "\(world.configDirectory)/10-a.yaml:4:77: \(Self.warning)\n")
        }
    }
}
