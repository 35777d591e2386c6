import Foundation
import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXen
import SSHMXenTestSupport
import Testing

/// `plan`, `status` and `validate --json` against their schemas under docs/, read by a consumer written against the
/// schemas alone (Tests/json-consumer/consume.py): no prose parsed.
@Suite("JSON output for scripts")
struct JSONOutputTests {
    static let manifest = """
        version: 1
        regions:
          - id: frames
            owner: {domain: camera-vm, begin: 0x80000000, size: 16KiB}
            borrowers:
              - {domain: Domain-0, begin: 0x3000000000}
              - {domain: preview-vm, begin: 0x2000000000, offset: 8KiB, size: 8KiB, prot: ro, doorbell: true}
              - {domain: spare-vm, begin: 0x2000000000}
        """

    static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    /// Runs the consumer on `documents` (kind → JSON text) and returns what it printed.
    static func consume(_ documents: [(kind: String, json: String)], in directory: TemporaryDirectory) async throws
        -> BuiltTool.Run
    {
        var arguments = [repository + "/Tests/json-consumer/consume.py", repository + "/docs"]
        for (index, document) in documents.enumerated() {
            arguments.append("\(document.kind)=" + (try directory.write("\(index).json", document.json)))
        }
        return try await BuiltTool.run(program: "/usr/bin/python3", arguments)
    }

    @Test func planStatusAndValidateOutputsMatchTheirSchemasAndReadWithoutProse() async throws {
        try await HostWorld.with { world in
            let camera = try TestDomains.create("camera-vm", in: world.store).domid
            let preview = try TestDomains.create("preview-vm", in: world.store).domid
            try world.manifest("10-frames.yaml", Self.manifest)
            let plan = try await world.run(["plan", "--json"])
            #expect(plan.status == 0, "\(plan.stderr)")
            let validate = try await BuiltTool.run(["validate", "--json", "--config-dir", world.configDirectory])
            #expect(validate.status == 0, "\(validate.stderr)")
            #expect(try await world.run(["apply"]).status == 0)
            let status = try await world.run(["status", "--json"])
            #expect(status.status == 0, "\(status.stderr)")
            let read = try await Self.consume(
                [("plan", plan.stdout), ("status", status.stdout), ("validate", validate.stdout)],
                in: world.directory)
            #expect(read.status == 0, "\(read.stderr)")
            #expect(
                read.stdout == """
                    map frames owner camera-vm(dom\(camera)) 0x80000000 4 pages
                    map frames borrower Domain-0(dom0) 0x3000000000 4 pages from camera-vm(dom\(camera)) 0x80000000
                    map frames borrower preview-vm(dom\(preview)) 0x2000000000 2 pages from camera-vm(dom\(camera)) 0x80002000
                    totals map=3
                    outlook frames Pending WaitingForBorrower
                    hypervisor simulated \(Arch.host.rawValue) dom0=True map_space=auto
                    region frames ready=False Pending/WaitingForBorrower owner=camera-vm(dom\(camera)) view=in_place \
                    borrowers=Domain-0(dom0):mapped/view=in_place,\
                    preview-vm(dom\(preview)):mapped/view=in_place/doorbell=waiting_for_owner,\
                    spare-vm:waiting pending=0
                    files 1 regions 1 errors 0 warnings 1
                    warning line 7

                    """)
        }
    }

    /// A guest that writes garbage into its doorbell's node: status names the pair broken, why, and counts the
    /// reset the next pass makes among the pending changes.
    @Test func statusShowsABrokenDoorbellAndItsResetAsPending() async throws {
        try await HostWorld.with { world in
            let camera = try TestDomains.create("camera-vm", in: world.store).domid
            let preview = try TestDomains.create("preview-vm", in: world.store).domid
            try world.manifest("10-frames.yaml", Self.manifest)
            #expect(try await world.run(["apply"]).status == 0)
            let port = XenStorePath(DoorbellTree.port(Build.id("frames"), of: camera, peer: preview))
            try world.store.write(port, "12x", in: nil)
            let status = try await world.run(["status", "--json"])
            #expect(status.status == 0, "\(status.stderr)")
            let document = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
            let region = (document?["regions"] as? [[String: Any]])?.first
            let borrower = (region?["borrowers"] as? [[String: Any]])?.first { $0["name"] as? String == "preview-vm" }
            let doorbell = borrower?["doorbell"] as? [String: Any]
            #expect(doorbell?["state"] as? String == "broken")
            #expect((doorbell?["message"] as? String)?.contains("'12x' is invalid") == true)
            #expect(region?["pending_changes"] as? Int == 1)
            #expect(try world.store.read(port, in: nil) == "12x")
        }
    }

    @Test func aDocumentThatBreaksItsSchemaIsCaught() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let read = try await Self.consume([("status", #"{"format_version": 1, "regions": []}"#)], in: directory)
        #expect(read.status == 1)
        #expect(read.stdout.contains("INVALID status at : 'hypervisor' is a required property"))
    }
}
