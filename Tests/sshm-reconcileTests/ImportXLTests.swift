import Foundation
import Testing

/// `sshm-reconcile import-xl`, run as the built binary: its output must be a manifest `validate` accepts.
@Suite struct ImportXLTests {
    @Test func theOutputValidates() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(
            "vm1.cfg",
            """
            name = "vm1"
            static_shm = [ "id=ID1, begin=0x100000, size=0x100000, role=master, cache_policy=ARM_normal, prot=rw",
                           "id=ID2, begin=0x300000, size=0x100000, role=master" ]
            """)
        try directory.write(
            "vm2.cfg", "name = \"vm2\"\nstatic_shm = [ \"id=ID1, offset=0, begin=0x500000, role=slave\" ]\n")
        try directory.write("vm3.cfg", "name = \"vm3\"\nstatic_shm = [ \"id=ID2, offset=0x10000, begin=0x690000\" ]\n")
        let converted = try await BuiltTool.run(
            ["import-xl", "vm1.cfg", "vm2.cfg", "vm3.cfg", "--arch", "arm64"], in: directory.path)
        #expect(converted.status == 0)
        #expect(converted.stderr.isEmpty)
        #expect(converted.stdout.contains("  - id: ID2\n"))
        try directory.write("imported.yaml", converted.stdout)
        let validated = try await BuiltTool.run(["validate", "imported.yaml", "--arch", "arm64"], in: directory.path)
        #expect(validated.status == 0)
        #expect(validated.stdout == "1 file, 2 regions, 0 errors, 0 warnings\n")
    }

    @Test func anErrorExits65WithNothingOnStdout() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("vm2.cfg", "name = \"vm2\"\nstatic_shm = [ \"id=ID1, begin=0x500000\" ]\n")
        let run = try await BuiltTool.run(["import-xl", "vm2.cfg"], in: directory.path)
        #expect(run.status == 65)
        #expect(run.stdout.isEmpty)
        #expect(
            run.stderr == "vm2.cfg:2:16: error: region 'ID1' has no owner entry (role=owner) in the given configs; add "
                + "the owner domain's config to the command line\n")
    }
}
