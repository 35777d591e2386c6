import Foundation
import SSHMCore
import SSHMReconcile
import SSHMTestSupport
import SSHMXen
import SSHMXenTestSupport
import Testing

/// `sshm-reconcile export`, run as the built binary; its outputs go through dtc, fdtoverlay, fdtget and gcc.
@Suite struct ExportCommandTests {
    /// The manifest of SSHMCoreTests' golden files.
    static let guests = """
        version: 1
        regions:
          - id: rtos-mailbox
            owner: {domain: rtos, begin: 0x7fe00000, size: 1MiB}
            borrowers:
              - {domain: linux-gw, begin: 0x1000000000, doorbell: true}
          - id: rtos-log
            owner: {domain: rtos, begin: 0x7ff00000, size: 1MiB}
            borrowers:
              - {domain: linux-gw, begin: 0x1000100000, offset: 512KiB, size: 512KiB, prot: ro}
          - id: telemetry
            owner: {domain: sensor-vm, begin: 0x7fe00000, size: 2MiB, prot: ro}
            borrowers:
              - {domain: linux-gw, begin: 0x2000000000}

        """

    /// What each domain's overlay must hold, read back by fdtget.
    static let nodes: [String: [GuestBuildTools.Node]] = [
        "rtos": [
            .init(address: 0x7fe0_0000, size: 0x10_0000, id: "rtos-mailbox", offset: 0),
            .init(address: 0x7ff0_0000, size: 0x10_0000, id: "rtos-log", offset: 0),
        ],
        "linux-gw": [
            .init(address: 0x10_0000_0000, size: 0x10_0000, id: "rtos-mailbox", offset: 0),
            .init(address: 0x10_0010_0000, size: 0x8_0000, id: "rtos-log", offset: 0x8_0000),
            .init(address: 0x20_0000_0000, size: 0x20_0000, id: "telemetry", offset: 0),
        ],
        "sensor-vm": [.init(address: 0x7fe0_0000, size: 0x20_0000, id: "telemetry", offset: 0)],
    ]

    /// No xenstore at all: the path of a socket that does not exist.
    static let noXenstore = ["XENSTORED_PATH": "/nonexistent/xenstored/socket"]

    /// A config dir holding `manifests` (name → text).
    static func configDir(_ manifests: [String: String]) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path + "/sshm.d", withIntermediateDirectories: false)
        for (name, text) in manifests { try directory.write("sshm.d/" + name, text) }
        return directory
    }

    static func export(
        _ domain: String, _ format: String, _ directory: TemporaryDirectory, _ more: [String] = [],
        environment: [String: String] = noXenstore
    ) async throws -> BuiltTool.Run {
        try await BuiltTool.run(
            ["export", "--domain", domain, "--format", format, "--config-dir", directory.path + "/sshm.d"] + more,
            environment: environment)
    }

    @Test(arguments: ["rtos", "linux-gw", "sensor-vm"])
    func everyOverlayCompilesAppliesAndReadsBackAsDeclared(_ domain: String) async throws {
        let directory = try Self.configDir(["10-guests.yaml": Self.guests])
        defer { directory.remove() }
        let run = try await Self.export(domain, "dts", directory)
        #expect(run.status == 0)
        #expect(run.stderr == "")
        let nodes = try await GuestBuildTools.applyOverlay(run.stdout, in: directory.path)
        #expect(nodes.sorted { $0.address < $1.address } == Self.nodes[domain])
    }

    @Test func theHeaderCompilesAndHoldsEveryValue() async throws {
        let directory = try Self.configDir(["10-guests.yaml": Self.guests])
        defer { directory.remove() }
        let run = try await Self.export("linux-gw", "c-header", directory)
        #expect(run.status == 0)
        let test = """
            #include "linux-gw.h"
            #include "linux-gw.h" /* the guard makes a second include harmless */
            #ifndef SSHM_LINUX_GW_H
            #error "no include guard"
            #endif
            _Static_assert(SSHM_PROT_READ == 0x1 && SSHM_PROT_WRITE == 0x2, "prot bits");
            _Static_assert(SSHM_RTOS_MAILBOX_BASE == 0x1000000000ULL, "base");
            _Static_assert(SSHM_RTOS_MAILBOX_SIZE == 0x100000, "size");
            _Static_assert(SSHM_RTOS_MAILBOX_OFFSET == 0, "offset");
            _Static_assert(SSHM_RTOS_MAILBOX_PROT == 0x3, "prot");
            _Static_assert(SSHM_RTOS_MAILBOX_DOORBELL == 1, "doorbell");
            _Static_assert(__builtin_strcmp(SSHM_RTOS_MAILBOX_ID, "rtos-mailbox") == 0, "id");
            _Static_assert(SSHM_RTOS_LOG_BASE == 0x1000100000ULL, "base");
            _Static_assert(SSHM_RTOS_LOG_SIZE == 0x80000, "size");
            _Static_assert(SSHM_RTOS_LOG_OFFSET == 0x80000, "offset");
            _Static_assert(SSHM_RTOS_LOG_PROT == 0x1, "prot");
            _Static_assert(SSHM_RTOS_LOG_DOORBELL == 0, "doorbell");
            _Static_assert(__builtin_strcmp(SSHM_RTOS_LOG_ID, "rtos-log") == 0, "id");
            _Static_assert(SSHM_TELEMETRY_BASE == 0x2000000000ULL, "base");
            _Static_assert(SSHM_TELEMETRY_SIZE == 0x200000, "size");
            _Static_assert(SSHM_TELEMETRY_OFFSET == 0, "offset");
            _Static_assert(SSHM_TELEMETRY_PROT == 0x1, "prot");
            _Static_assert(SSHM_TELEMETRY_DOORBELL == 0, "doorbell");
            _Static_assert(__builtin_strcmp(SSHM_TELEMETRY_ID, "telemetry") == 0, "id");
            _Static_assert(sizeof(SSHM_TELEMETRY_BASE) == 8 && sizeof(SSHM_TELEMETRY_ID) == 10, "types");

            """
        try await GuestBuildTools.compile(header: run.stdout, named: "linux-gw.h", test: test, in: directory.path)
        // The test has teeth: a wrong value fails the compile.
        await #expect(throws: GuestBuildTools.ToolFailed.self) {
            try await GuestBuildTools.compile(
                header: run.stdout.replacingOccurrences(of: "0x80000ULL", with: "0x81000ULL"), named: "linux-gw.h",
                test: test, in: directory.path)
        }
    }

    @Test func jsonMatchesItsGoldenDocument() async throws {
        let directory = try Self.configDir(["10-guests.yaml": Self.guests])
        defer { directory.remove() }
        let run = try await Self.export("rtos", "json", directory, ["--region", "rtos-mailbox"])
        #expect(run.status == 0)
        let dir = directory.path + "/sshm.d"
        #expect(
            run.stdout == """
                {
                  "config_dir" : "\(dir)",
                  "domain" : {
                    "domid" : null,
                    "name" : "rtos"
                  },
                  "format_version" : 1,
                  "regions" : [
                    {
                      "address" : 2145386496,
                      "doorbell" : true,
                      "doorbell_peers" : [
                        {
                          "domid" : null,
                          "name" : "linux-gw"
                        }
                      ],
                      "id" : "rtos-mailbox",
                      "offset" : 0,
                      "owner" : {
                        "domid" : null,
                        "name" : "rtos"
                      },
                      "pages" : 256,
                      "prot" : "rw",
                      "role" : "owner",
                      "size" : 1048576,
                      "source" : {
                        "file" : "\(dir)/10-guests.yaml",
                        "line" : 3
                      }
                    }
                  ]
                }

                """)
    }

    @Test func anIDTooLongForADeviceTreeExits65AtItsLine() async throws {
        let directory = try Self.configDir(
            ["10-guests.yaml": Self.guests.replacingOccurrences(of: "rtos-mailbox", with: "rtos-mailbox-long")])
        defer { directory.remove() }
        let run = try await Self.export("rtos", "dts", directory)
        #expect(run.status == 65)
        #expect(run.stdout == "")
        #expect(
            run.stderr == "\(directory.path)/sshm.d/10-guests.yaml:3:9: error: region id 'rtos-mailbox-long' has 17 "
                + "characters, more than the 15 a device tree's xen,id holds (16 bytes with the NUL); shorten the id "
                + "to export it as dts\n")
        // The other formats have no such limit.
        #expect(try await Self.export("rtos", "c-header", directory).status == 0)
    }

    @Test func idsThatBecomeOneMacroExit65NamingBoth() async throws {
        let directory = try Self.configDir(
            ["10-guests.yaml": Self.guests.replacingOccurrences(of: "id: telemetry", with: "id: rtos_log")])
        defer { directory.remove() }
        let run = try await Self.export("linux-gw", "c-header", directory)
        #expect(run.status == 65)
        #expect(run.stdout == "")
        let file = directory.path + "/sshm.d/10-guests.yaml"
        #expect(
            run.stderr == """
                \(file):11:9: error: region ids 'rtos_log' and 'rtos-log' both become the C macros SSHM_RTOS_LOG_*; \
                rename one of them to export a C header
                \(file):7:9: note: region 'rtos-log' is declared here

                """)
    }

    @Test func anInvalidManifestExits65WithItsDiagnostics() async throws {
        let directory = try Self.configDir(
            ["10-guests.yaml": Self.guests, "20-broken.yaml": "version: 1\nregions: [{id: x}]\n"])
        defer { directory.remove() }
        let run = try await Self.export("rtos", "json", directory)
        #expect(run.status == 65)
        #expect(run.stdout == "")
        #expect(run.stderr.contains("20-broken.yaml:2:"))
        #expect(run.stderr.hasSuffix("fix them before exporting, or a file's regions would be missing\n"))
    }

    @Test func anUnknownDomainExits64() async throws {
        let directory = try Self.configDir(["10-guests.yaml": Self.guests])
        defer { directory.remove() }
        let run = try await Self.export("rtos2", "dts", directory)
        #expect(run.status == 64)
        #expect(run.stdout == "")
        #expect(run.stderr.hasPrefix("sshm-reconcile: unknown domain rtos2: no manifest in \(directory.path)/sshm.d"))
    }

    @Test func aDomainNamedByDomidSomewhereNeedsXenstoreAndSaysWhatItCouldNotResolve() async throws {
        let directory = try Self.configDir(
            ["10-guests.yaml": Self.guests.replacingOccurrences(of: "domain: sensor-vm", with: "domain: 3")])
        defer { directory.remove() }
        let run = try await Self.export("linux-gw", "dts", directory)
        #expect(run.status == 69)
        #expect(run.stdout == "")
        #expect(
            run.stderr.hasPrefix(
                "sshm-reconcile: cannot tell whether domid 3 (region 'telemetry', \(directory.path)/sshm.d/"
                    + "10-guests.yaml:11) is linux-gw without xenstore ("))
    }

    @Test func badArgumentsExit64() async throws {
        let directory = try Self.configDir(["10-guests.yaml": Self.guests])
        defer { directory.remove() }
        #expect(try await Self.export("-bad", "dts", directory).status == 64)
        #expect(try await Self.export("rtos", "yaml", directory).status == 64)
        #expect(try await Self.export("rtos", "dts", directory, ["--region", "a b"]).status == 64)
        let elsewhere = try await Self.export("rtos", "dts", directory, ["--region", "telemetry"])
        #expect(elsewhere.status == 64)
        #expect(
            elsewhere.stderr
                == "sshm-reconcile: rtos takes no part in region 'telemetry'; drop --region telemetry or export the "
                + "domain that does\n")
    }
}

/// The cases that need xenstore: a private daemon with domains, as on a host.
@Suite(.xenstored(.c)) struct ExportCommandXenstoreTests {
    static func export(_ domain: String, _ format: String, _ directory: TemporaryDirectory) async throws
        -> BuiltTool.Run
    {
        try await ExportCommandTests.export(
            domain, format, directory, environment: ["XENSTORED_PATH": try XenstoredSandbox.current(.c).socketPath])
    }

    @Test func xenstoreRelatesADomidInTheManifestsToTheNameGiven() async throws {
        let store = try LibXenStore.open(socketPath: try XenstoredSandbox.current(.c).socketPath, logger: .quiet)
        defer { store.close() }
        let sensor = try TestDomains.create("sensor-vm", in: store)
        defer { try? TestDomains.destroy(sensor, in: store) }
        let directory = try ExportCommandTests.configDir(
            ["10-guests.yaml": ExportCommandTests.guests.replacingOccurrences(of: "sensor-vm", with: "\(sensor.domid)")]
        )
        defer { directory.remove() }
        let byName = try await Self.export("sensor-vm", "dts", directory)
        #expect(byName.status == 0)
        #expect(byName.stdout.contains("Static shared memory of sensor-vm (dom\(sensor.domid)),"))
        #expect(
            try await GuestBuildTools.applyOverlay(byName.stdout, in: directory.path)
                == ExportCommandTests.nodes["sensor-vm"])
        // linux-gw does not run: the domid cannot be it, and its regions still export.
        let borrower = try await Self.export("linux-gw", "json", directory)
        #expect(borrower.status == 0)
        #expect(borrower.stdout.contains("\"id\" : \"telemetry\""))
    }

    @Test func aDomainInNoRegionGetsAnEmptyButValidFileAndAWord() async throws {
        let store = try LibXenStore.open(socketPath: try XenstoredSandbox.current(.c).socketPath, logger: .quiet)
        defer { store.close() }
        let idle = try TestDomains.create("idle-vm", in: store)
        defer { try? TestDomains.destroy(idle, in: store) }
        let directory = try ExportCommandTests.configDir(["10-guests.yaml": ExportCommandTests.guests])
        defer { directory.remove() }
        for (format, empty) in [
            ("dts", "an overlay that adds nothing"), ("c-header", "a header with no region"),
            ("json", "a document with no region"),
        ] {
            let run = try await Self.export("\(idle.domid)", format, directory)
            #expect(run.status == 0)
            #expect(
                run.stderr
                    == "sshm-reconcile: \(idle.domid) takes part in no region of \(directory.path)/sshm.d: printed \(empty)\n"
            )
            switch format {
            case "dts": #expect(try await GuestBuildTools.applyOverlay(run.stdout, in: directory.path) == [])
            case "c-header":
                try await GuestBuildTools.compile(
                    header: run.stdout, named: "idle.h", test: "#include \"idle.h\"\n", in: directory.path)
            default:
                let object = try #require(
                    try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
                let regions = try #require(object["regions"] as? [Any])
                #expect(regions.isEmpty)
                let identity = try #require(object["domain"] as? [String: Any])
                #expect(identity["name"] as? String == "idle-vm")
            }
        }
    }

    @Test func aDomainNeitherTheManifestsNorXenstoreKnowExits64() async throws {
        let directory = try ExportCommandTests.configDir(["10-guests.yaml": ExportCommandTests.guests])
        defer { directory.remove() }
        let run = try await Self.export("nobody-vm", "dts", directory)
        #expect(run.status == 64)
        #expect(
            run.stderr
                == "sshm-reconcile: unknown domain nobody-vm: no manifest in \(directory.path)/sshm.d names it and "
                + "xenstore knows no such domain; check --domain\n")
    }
}
