import Foundation
import SSHMCore
import SSHMTestSupport
import SSHMXenTestSupport
import Testing

/// The examples of docs/guest-view.md, built and run as a guest would run them: dom0 is the borrower (a sandbox
/// connection is dom0's, so the examples' relative paths are `/local/domain/0/…`), against the view `apply` wrote.
@Suite("guest view examples")
struct GuestViewExampleTests {
    static let manifest = """
        version: 1
        regions:
          - id: ring
            owner:
              domain: sensor-vm
              begin: 0x7fe00000
              size: 16KiB
            borrowers:
              - domain: Domain-0
                begin: 0x3000000000
                offset: 8KiB
                size: 8KiB
                prot: ro

        """

    static var examples: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path + "/docs/examples"
    }

    @Test func theCAndShellExamplesPrintTheBorrowersView() async throws {
        try await HostWorld.with { world in
            let sensor = try TestDomains.create("sensor-vm", in: world.store).domid
            try world.manifest("10-ring.yaml", Self.manifest)
            #expect(try await world.run(["apply"]).status == 0)

            let binary = world.directory.path + "/guest-view"
            let compiled = try await BuiltTool.run(
                program: "/usr/bin/gcc",
                [
                    "-std=c11", "-Wall", "-Wextra", "-Werror", "-o", binary, Self.examples + "/guest-view.c",
                    "-lxenstore",
                ])
            #expect(compiled.status == 0, "\(compiled.stderr)")
            let environment = ["XENSTORED_PATH": world.sandbox.socketPath]
            let c = try await BuiltTool.run(program: binary, ["ring"], environment: environment)
            let shell = try await BuiltTool.run(
                program: "/bin/sh", [Self.examples + "/guest-view.sh", "ring"], environment: environment)
            let expected = """
                role=slave
                begin=0x3000000000
                size=0x2000
                offset=0x2000
                prot=ro
                cache_policy=\(CachePolicy.default(for: .host).rawValue)
                peer=\(sensor)
                state=mapped

                """
            #expect(c.status == 0, "\(c.stderr)")
            #expect(c.stdout == expected)
            #expect(shell.status == 0, "\(shell.stderr)")
            #expect(shell.stdout == expected)
        }
    }
}
