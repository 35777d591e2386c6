import Foundation
import Subprocess
import SystemPackage
import Testing

/// Debian's device-tree-compiler (dtc, fdtoverlay, fdtget; scripts/setup installs it) and gcc, run on exported
/// descriptors as a guest's build or U-Boot would use them.
enum GuestBuildTools {
    /// One `xen-shmem@<address>` node as `fdtget -t x` prints it: `reg` as four cells, `xen,offset` as two.
    struct Node: Equatable {
        var address: UInt64
        var size: UInt64
        var id: String
        var offset: UInt64

        var name: String { "xen-shmem@" + String(address, radix: 16) }
    }

    /// dtc's warnings on an overlay that come from checking a fragment without the base tree's root cells, which
    /// the overlay relies on (2/2): the merged tree compiles with none.
    static let overlayOnlyWarnings = [
        "Warning (ranges_format)", "Warning (avoid_default_addr_size)",
        "Warning (avoid_unnecessary_addr_size): Failed prerequisite 'avoid_default_addr_size'",
        "Warning (unique_unit_address): Failed prerequisite 'avoid_default_addr_size'",
    ]

    static let baseTree = """
        /dts-v1/;

        / {
        \t#address-cells = <2>;
        \t#size-cells = <2>;
        };

        """

    /// Compiles `overlay` with `dtc -@`, applies it with `fdtoverlay` onto a base tree with 2/2 cells, and returns
    /// the nodes under `/reserved-memory` as `fdtget` reads them back. Records an issue for any dtc warning not in
    /// ``overlayOnlyWarnings``, any warning on the merged tree, and any property upstream does not write.
    static func applyOverlay(_ overlay: String, in directory: String) async throws -> [Node] {
        try Data(overlay.utf8).write(to: URL(fileURLWithPath: directory + "/overlay.dts"))
        try Data(baseTree.utf8).write(to: URL(fileURLWithPath: directory + "/base.dts"))
        let compiled = try await run(
            "dtc", ["-@", "-I", "dts", "-O", "dtb", "-o", "overlay.dtbo", "overlay.dts"], in: directory)
        for line in compiled.split(separator: "\n") where !overlayOnlyWarnings.contains(where: line.contains) {
            Issue.record("dtc on the overlay: \(line)")
        }
        _ = try await run("dtc", ["-I", "dts", "-O", "dtb", "-o", "base.dtb", "base.dts"], in: directory)
        _ = try await run("fdtoverlay", ["-i", "base.dtb", "-o", "merged.dtb", "overlay.dtbo"], in: directory)
        _ = try await run("dtc", ["-I", "dtb", "-O", "dts", "-o", "merged.dts", "merged.dtb"], in: directory)
        let merged = try await run("dtc", ["-I", "dts", "-O", "dtb", "-o", "/dev/null", "merged.dts"], in: directory)
        #expect(merged.isEmpty, "dtc warns about the merged tree")
        // An overlay of no region adds nothing, not even /reserved-memory (Xen writes none for a guest without).
        guard try await lines("fdtget", ["-l", "merged.dtb", "/"], in: directory).contains("reserved-memory") else {
            return []
        }
        let names = try await lines("fdtget", ["-l", "merged.dtb", "/reserved-memory"], in: directory)
        #expect(
            try await lines("fdtget", ["-p", "merged.dtb", "/reserved-memory"], in: directory).sorted()
                == ["#address-cells", "#size-cells", "ranges"])
        var nodes: [Node] = []
        for name in names {
            let path = "/reserved-memory/" + name
            #expect(
                try await lines("fdtget", ["-p", "merged.dtb", path], in: directory).sorted()
                    == ["compatible", "reg", "xen,id", "xen,offset"])
            #expect(try await value("-ts", path, "compatible", in: directory) == "xen,shared-memory-v1")
            let reg = try await value("-tx", path, "reg", in: directory).split(separator: " ")
            let offset = try await value("-tx", path, "xen,offset", in: directory).split(separator: " ")
            let node = Node(
                address: try join(reg.prefix(2)), size: try join(reg.dropFirst(2)),
                id: try await value("-ts", path, "xen,id", in: directory), offset: try join(offset))
            #expect(node.name == name, "the unit address is the address")
            nodes.append(node)
        }
        return nodes
    }

    /// Compiles `test` (C11, every warning an error) with the exported header next to it as `header`.
    static func compile(header: String, named name: String, test: String, in directory: String) async throws {
        try Data(header.utf8).write(to: URL(fileURLWithPath: directory + "/" + name))
        try Data(test.utf8).write(to: URL(fileURLWithPath: directory + "/test.c"))
        _ = try await run(
            "gcc", ["-std=c11", "-Wall", "-Wextra", "-Werror", "-c", "-o", "test.o", "test.c"], in: directory)
    }

    /// Two 32-bit cells in hex (as `fdtget -tx` prints them), high first.
    static func join(_ cells: some Collection<Substring>) throws -> UInt64 {
        try #require(cells.count == 2)
        return try cells.reduce(UInt64(0)) { ($0 << 32) | (try #require(UInt64($1, radix: 16))) }
    }

    static func value(_ type: String, _ path: String, _ property: String, in directory: String) async throws
        -> String
    {
        try await run("fdtget", [type, "merged.dtb", path, property], in: directory, stdout: true)
            .trimmingCharacters(in: .newlines)
    }

    static func lines(_ tool: String, _ arguments: [String], in directory: String) async throws -> [String] {
        try await run(tool, arguments, in: directory, stdout: true).split(separator: "\n").map(String.init)
    }

    /// Runs `tool`, requires exit 0, and returns its stderr (or its stdout).
    @discardableResult
    static func run(_ tool: String, _ arguments: [String], in directory: String, stdout: Bool = false)
        async throws -> String
    {
        let result = try await Subprocess.run(
            .name(tool), arguments: Arguments(arguments), workingDirectory: FilePath(directory),
            output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        let (out, err) = (result.standardOutput, result.standardError)
        guard result.terminationStatus == .exited(0) else {
            throw ToolFailed(command: ([tool] + arguments).joined(separator: " "), stderr: err)
        }
        return stdout ? out : err
    }

    struct ToolFailed: Error, CustomStringConvertible {
        var command: String
        var stderr: String
        var description: String { "\(command) failed: \(stderr)" }
    }
}
