import Foundation
import Testing

/// What each command offers on its command line, and how it reads what it is given.
@Suite("options and help")
struct OptionsTests {
    static func help(_ command: String) async throws -> String {
        let run = try await BuiltTool.run([command, "--help"])
        #expect(run.status == 0)
        // The parser wraps lines at 80 columns: compare words, not lines.
        return run.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    @Test(arguments: ["status", "wait"])
    func readingCommandsOfferNoOptionThatChangesOrPlansChanges(_ command: String) async throws {
        let help = try await Self.help(command)
        for option in ["--allow-empty", "--adopt", "--txn-attempts", "--record-names", "--sim-policy", "--state-file"] {
            #expect(!help.contains(option), "\(command) --help lists \(option)")
        }
        #expect(help.contains("--config-dir"))
    }

    @Test(arguments: ["plan", "apply", "daemon", "status", "wait"])
    func testOnlyOptionsAreHiddenEverywhere(_ command: String) async throws {
        let help = try await Self.help(command)
        #expect(!help.contains("--sim-policy"))
        #expect(!help.contains("--state-file"))
    }

    @Test func planTakesNoRetryOptionAndApplyDoes() async throws {
        #expect(!(try await Self.help("plan")).contains("--txn-attempts"))
        #expect(try await Self.help("apply").contains("--txn-attempts <n>"))
    }

    @Test func helpShowsTheDefaults() async throws {
        let apply = try await Self.help("apply")
        #expect(apply.contains("(default: /etc/sshm.d)"))
        #expect(apply.contains("default: auto)"))
        #expect(apply.contains("default: xenctrl)"))
        #expect(apply.contains("(default: /run/sshm-reconcile)"))
        #expect(apply.contains("(default: 16)"))
        let daemon = try await Self.help("daemon")
        #expect(daemon.contains("default: 5min)"))
        #expect(daemon.contains("default: 30s)"))
        #expect(try await Self.help("wait").contains("--timeout <duration> Give up after this long, exit 75"))
    }

    @Test func waitTakesItsTimeoutInSystemdSpelling() async throws {
        let wrong = try await BuiltTool.run(["wait", "--domain", "vm", "--timeout", "soon"])
        #expect(wrong.status == 64)
        #expect(wrong.stderr.contains("'soon' is not a duration: write a number with a unit"), "\(wrong.stderr)")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let run = try await BuiltTool.run(
            [
                "wait", "--domain", "vm", "--timeout", "1m30s", "--hypervisor", "simulated", "--config-dir",
                directory.path,
            ],
            environment: ["XENSTORED_PATH": directory.path + "/no-socket"])
        #expect(run.status == 69, "\(run.stderr)")
    }

    @Test(arguments: ["--resync", "--xenstore-wait"])
    func aDurationInAnotherSpellingNamesTheAcceptedForms(_ option: String) async throws {
        let run = try await BuiltTool.run(["daemon", option, "5 minutes please"])
        #expect(run.status == 64)
        #expect(
            run.stderr.contains(
                "'5 minutes please' is not a duration: write a number with a unit as in systemd.time(7): 500ms, 30s, "
                    + "5min (or 5m), 1m30s, 2h, 1d, 1w; a bare number is seconds."),
            "\(run.stderr)")
    }

    @Test func systemdSpellingsAreAcceptedWhereADurationIsTaken() async throws {
        // An unreachable xenstore makes the daemon exit 69 after the options were read: 64 would be a refusal.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for value in ["5min", "1m30s", "1d", "500ms"] {
            let run = try await BuiltTool.run(
                [
                    "daemon", "--resync", value, "--xenstore-wait", "1ms", "--hypervisor", "simulated", "--config-dir",
                    directory.path, "--state-dir", directory.path + "/state",
                ],
                environment: ["XENSTORED_PATH": directory.path + "/no-socket"])
            #expect(run.status == 69, "--resync \(value): \(run.stderr)")
        }
    }

    /// A config dir whose one manifest is broken: a command that reads it names the file.
    static func brokenConfigDir() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try directory.write("broken.yaml", "regions: [")
        return directory
    }

    @Test func onceAppliesWithApplysOptions() async throws {
        let directory = try Self.brokenConfigDir()
        defer { directory.remove() }
        let run = try await BuiltTool.run(
            [
                "--once", "--config-dir", directory.path, "--state-dir", directory.path + "/state", "--hypervisor",
                "simulated", "--metrics-textfile", directory.path + "/sshm.prom",
            ],
            environment: ["XENSTORED_PATH": directory.path + "/no-socket"])
        // It read the config dir it was given, then found no xenstore: 64 would be a refusal of the options.
        #expect(run.stderr.contains("broken.yaml"), "\(run.stderr)")
        #expect(run.status == 69, "\(run.stderr)")
    }

    @Test func subcommandsKeepTheirOptionsBesideOnce() async throws {
        let directory = try Self.brokenConfigDir()
        defer { directory.remove() }
        let run = try await BuiltTool.run(["validate", "--config-dir", directory.path])
        #expect(run.stderr.contains("broken.yaml"), "\(run.stderr)")
        #expect(run.status == 65, "\(run.stderr)")
    }

    @Test func applyIsStillACommandOfItsOwn() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let run = try await BuiltTool.run(
            ["apply", "--config-dir", directory.path, "--state-dir", directory.path + "/state"],
            environment: ["XENSTORED_PATH": directory.path + "/no-socket"])
        #expect(run.status == 69, "\(run.stderr)")
    }

    @Test(arguments: [["validate", "--once"], ["apply", "--once"], ["--config-dir", "/tmp"], ["-q"], ["aply"]])
    func onceOnlyComesFirstAndNothingElseStandsInForIt(_ arguments: [String]) async throws {
        let run = try await BuiltTool.run(arguments)
        #expect(run.status == 64, "\(arguments): \(run.stderr)")
    }

    @Test func aWordThatIsNoCommandIsNamed() async throws {
        let run = try await BuiltTool.run(["aply"])
        #expect(run.stderr.contains("'aply' is not a command: `sshm-reconcile --help` lists them."), "\(run.stderr)")
    }

    @Test func bareCommandShowsTheHelpWithBothForms() async throws {
        for arguments in [[], ["--help"]] {
            let run = try await BuiltTool.run(arguments)
            #expect(run.status == 0, "\(arguments): \(run.stderr)")
            let help = run.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(help.contains("sshm-reconcile <subcommand> [<options>]"), "\(help)")
            #expect(help.contains("or: sshm-reconcile --once [<options>]"), "\(help)")
            #expect(help.contains("validate Check manifests"), "\(help)")
            #expect(!help.contains("--once Make the host match"), "the hidden subcommand is listed: \(help)")
        }
    }

    @Test func onceHelpIsApplysHelp() async throws {
        let help = try await Self.help("--once")
        #expect(help.contains("USAGE: sshm-reconcile --once"), "\(help)")
        #expect(help.contains("--metrics-textfile <path>"), "\(help)")
        #expect(help.contains("--txn-attempts <n>"), "\(help)")
    }
}
