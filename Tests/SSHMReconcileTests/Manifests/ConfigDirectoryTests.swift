import Foundation
import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import Testing

@Suite struct ConfigDirectoryTests {
    @Test func readsManifestsInLexicalOrderAndSkipsBackups() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("20-b.yaml", telemetryManifest.replacingOccurrences(of: "telemetry", with: "b"))
        try directory.write("10-a.yml", "version: 1\nregions: []\n")
        try directory.write("20-b.yaml.dpkg-old", "garbage")
        try directory.write(".20-b.yaml.swp", "garbage")
        try directory.write("20-b.yaml~", "garbage")
        let state = ConfigDirectory.load(directory.path, arch: .x86_64, requireSecureOwnership: true)
        #expect(state.files.map(\.path) == [directory.path + "/10-a.yml", directory.path + "/20-b.yaml"])
        #expect(state.diagnostics.isEmpty)
        #expect(state.regions.first?.source == directory.path + "/20-b.yaml")
    }

    @Test func aMissingDirectoryGivesNoFilesAndAnError() {
        let state = ConfigDirectory.load("/nonexistent/sshm.d", arch: .x86_64, requireSecureOwnership: true)
        #expect(state.files.isEmpty)
        #expect(
            state.directoryDiagnostics.map(\.description) == [
                "/nonexistent/sshm.d: error: the config directory does not exist; create it (mkdir -m 755 "
                    + "/nonexistent/sshm.d) or pass --config-dir"
            ])
    }

    @Test func aFileInsteadOfADirectoryIsAnError() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("x.yaml", telemetryManifest)
        let state = ConfigDirectory.load(file, arch: .x86_64, requireSecureOwnership: true)
        #expect(state.files.isEmpty)
        #expect(state.hasErrors)
    }

    @Test func anEmptyDirectoryWarns() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let state = ConfigDirectory.load(directory.path, arch: .x86_64, requireSecureOwnership: true)
        #expect(state.files.isEmpty)
        #expect(state.directoryDiagnostics.map(\.severity) == [.warning])
    }

    @Test func refusesAManifestOthersCanWriteWhenTrustIsRequired() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("a.yaml", telemetryManifest, mode: 0o666)
        let state = ConfigDirectory.load(directory.path, arch: .x86_64, requireSecureOwnership: true)
        #expect(state.frozenSources == [file])
        #expect(
            state.diagnostics.map(\.description) == [
                "\(file): error: the manifest has mode 0666, writable by group or others, so it is not applied and its "
                    + "regions are frozen; run 'chmod go-w \(file)'"
            ])
        let relaxed = ManifestFiles.load([file], arch: .x86_64, requireSecureOwnership: false)
        #expect(relaxed.validSources == [file])
        #expect(relaxed.diagnostics.map(\.severity) == [.warning])
    }

    @Test(.enabled(if: getuid() == 0, "chown needs root"))
    func refusesAManifestNotOwnedByRoot() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("a.yaml", telemetryManifest)
        #expect(chown(file, 4242, 4242) == 0)
        let state = ConfigDirectory.load(directory.path, arch: .x86_64, requireSecureOwnership: true)
        #expect(state.frozenSources == [file])
        #expect(state.diagnostics.first?.message.contains("owned by uid 4242, not root") == true)
    }

    @Test func anUntrustedDirectoryFreezesEveryManifest() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("a.yaml", telemetryManifest)
        chmod(directory.path, 0o777)
        let state = ConfigDirectory.load(directory.path, arch: .x86_64, requireSecureOwnership: true)
        #expect(state.regions.isEmpty)
        #expect(state.frozenSources.count == 1)
        #expect(state.directoryDiagnostics.first?.message.contains("mode 0777") == true)
    }

    @Test func aFIFONamedLikeAManifestDoesNotHang() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fifo = directory.path + "/pipe.yaml"
        #expect(mkfifo(fifo, 0o644) == 0)
        let state = ConfigDirectory.load(directory.path, arch: .x86_64, requireSecureOwnership: true)
        #expect(state.frozenSources == [fifo])
        #expect(state.diagnostics.first?.message.hasPrefix("not a regular file") == true)
    }

    @Test func aDirectoryNamedOnTheCommandLineIsPointedAtConfigDir() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let state = ManifestFiles.load([directory.path], arch: .x86_64, requireSecureOwnership: false)
        #expect(state.frozenSources == [directory.path])
        #expect(
            state.diagnostics.first?.message
                == "a directory, not a manifest; check the manifests in it with --config-dir \(directory.path)")
    }

    @Test func refusesAFileLargerThanTheLimit() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("a.yaml", telemetryManifest)
        let input = ManifestFileReader(requireTrust: true, maxFileSize: 64).read(file)
        #expect(input.contents == nil)
        #expect(input.diagnostics.map(\.message) == ["the file is larger than 0x40; split it into several files"])
    }

    @Test func namedFilesTakePrecedenceByBaseName() throws {
        let first = try TemporaryDirectory()
        let second = try TemporaryDirectory()
        defer {
            first.remove()
            second.remove()
        }
        let late = try first.write("20-late.yaml", telemetryManifest)
        let early = try second.write("10-early.yaml", telemetryManifest)
        let state = ManifestFiles.load([late, early, late], arch: .x86_64, requireSecureOwnership: false)
        #expect(state.files.map(\.path) == [early, late])
        #expect(state.frozenSources == [late])
    }

    @Test func aMissingNamedFileFreezes() {
        let state = ManifestFiles.load(["/nonexistent.yaml"], arch: .x86_64, requireSecureOwnership: false)
        #expect(
            state.diagnostics.map(\.description) == [
                "/nonexistent.yaml: error: cannot open the file: No such file or directory (ENOENT, errno 2)"
            ])
    }
}
