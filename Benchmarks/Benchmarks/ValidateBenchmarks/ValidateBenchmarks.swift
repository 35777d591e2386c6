import Benchmark
import SSHMCore

/// Manifests generated in memory: `count` valid regions, each between two of 64 domains, none overlapping.
enum GeneratedInputs {
    static func region(_ index: Int) -> String {
        let owner = index % 64
        let borrower = (index + 1) % 64
        let begin = 0x1_0000_0000 + UInt64(index) * 0x20_0000
        return """
              - id: region-\(index)
                owner:
                  domain: vm-\(owner)
                  begin: 0x\(String(begin, radix: 16))
                  size: 1MiB
                  prot: rw
                borrowers:
                  - domain: vm-\(borrower)
                    begin: 0x\(String(begin + 0x10_0000, radix: 16))
                    size: 512KiB

            """
    }

    /// The quadratic case: `count` regions, each with a begin one byte past a page boundary.
    static func misalignedRegions(_ count: Int) -> [ManifestInput] {
        let body = (0..<count).map { index in
            let begin = String(0x1_0000_0000 + UInt64(index) * 0x2000 + 1, radix: 16)
            return "  - {id: r\(index), owner: {domain: 1, begin: 0x\(begin), size: 0x1000}}\n"
        }
        return [ManifestInput(path: "/etc/sshm.d/misaligned.yaml", text: "version: 1\nregions:\n" + body.joined())]
    }

    /// One region with `count` borrowers, each with a misaligned begin.
    static func badBorrowers(_ count: Int) -> [ManifestInput] {
        let body = (0..<count).map { index in
            let begin = String(0x10_0000_0000 + UInt64(index) * 0x2000 + 1, radix: 16)
            return "      - {domain: vm-\(index), begin: 0x\(begin)}\n"
        }
        let head = "version: 1\nregions:\n  - id: wide\n    owner: {domain: 1, begin: 0x100000, size: 0x1000}\n"
        return [ManifestInput(path: "/etc/sshm.d/wide.yaml", text: head + "    borrowers:\n" + body.joined())]
    }

    static func files(regions: Int, files: Int) -> [ManifestInput] {
        let perFile = regions / files
        return (0..<files).map { file in
            let body = (0..<perFile).map { region(file * perFile + $0) }.joined()
            return ManifestInput(path: "/etc/sshm.d/\(file).yaml", text: "version: 1\nregions:\n" + body)
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident, .mallocCountTotal], maxDuration: .seconds(10),
        maxIterations: 20)

    for (name, files) in [("10,000 regions in one file", 1), ("10,000 regions in 1,000 files", 1_000)] {
        Benchmark("validate \(name)") { benchmark, inputs in
            for _ in benchmark.scaledIterations {
                let state = ManifestSet.validate(inputs, arch: .x86_64)
                precondition(state.counts == (files, 10_000, 0), "the generated manifests must be valid")
                blackHole(state)
            }
        } setup: {
            GeneratedInputs.files(regions: 10_000, files: files)
        }
    }

    // Bad input must cost what good input costs: linear in its size, errors included (issue 20).
    for (name, inputs) in [
        ("20,000 misaligned regions", GeneratedInputs.misalignedRegions(20_000)),
        ("one region with 40,000 bad borrowers", GeneratedInputs.badBorrowers(40_000)),
    ] {
        Benchmark("validate \(name)") { benchmark in
            for _ in benchmark.scaledIterations {
                let state = ManifestSet.validate(inputs, arch: .x86_64)
                precondition(state.counts.errors > 0, "the generated manifest must be refused")
                blackHole(state)
            }
        }
    }
}
