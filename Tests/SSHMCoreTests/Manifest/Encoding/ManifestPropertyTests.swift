import Foundation
import PropertyBased
import SSHMCore
import Testing

/// Generated manifests: valid ones validate clean and round-trip; near misses produce exactly one finding.
@Suite struct ManifestPropertyTests {
    @Test func generatedManifestsValidateCleanAndSurviveEncodeThenDecode() async {
        await propertyCheck(count: 200, input: GeneratedManifest.seeds(regions: 1...12)) { seeds in
            let regions = GeneratedManifest.regions(from: seeds)
            let state = validate([("g.yaml", ManifestEncoder.encode(regions))])
            // Only the warning every `prot: ro` earns.
            #expect(state.diagnostics.allSatisfy { $0.severity == .warning })
            #expect(state.diagnostics.count == regions.map(\.readOnlyEndpoints).reduce(0, +))
            #expect(state.regions.map(\.withoutLocation) == regions)
        }
    }

    @Test func aMisalignedBeginProducesExactlyItsDiagnostic() async {
        let input = zip(GeneratedManifest.seeds(regions: 1...8), Gen.uint64(in: 1...4095))
        await propertyCheck(count: 100, input: input) { seeds, delta in
            let regions = GeneratedManifest.regions(from: seeds)
            let begin = regions[0].owner.begin.rawValue
            let original = "      begin: \(NumberFormat.hex(begin))"
            let yaml = ManifestEncoder.encode(regions)
                .replacingFirst(original, with: "      begin: \(NumberFormat.hex(begin + delta))")
            let line = yaml.lineNumbers(of: "      begin: \(NumberFormat.hex(begin + delta))")[0]
            #expect(
                errorsAndNotes(validate([("g.yaml", yaml)])) == [
                    "g.yaml:\(line):14: error: begin \(NumberFormat.hex(begin + delta)) is not a multiple of the 4 KiB "
                        + "page size; write \(NumberFormat.hex(begin)) or \(NumberFormat.hex(begin + 4096))"
                ])
        }
    }

    @Test func anOverlappingOwnerProducesExactlyItsDiagnostic() async {
        let input = zip(GeneratedManifest.seeds(regions: 2...8), Gen.uint64(in: 0...1023))
        await propertyCheck(count: 100, input: input) { seeds, shift in
            var regions = GeneratedManifest.regions(from: seeds)
            let first = regions[0]
            let lastIndex = regions.count - 1
            let pages = shift % first.owner.size.pages
            regions[lastIndex].owner.domain = first.owner.domain
            regions[lastIndex].owner.begin = GuestAddress(gfn: first.owner.begin.gfn + pages)
            regions[lastIndex].borrowers = []
            let later = regions[lastIndex]
            let yaml = ManifestEncoder.encode(regions)
            let earlierLine = yaml.lineNumbers(of: "      begin: \(first.owner.begin)").first ?? 0
            let laterLine = yaml.lineNumbers(of: "      begin: \(later.owner.begin)").last ?? 0
            let earlierRange = NumberFormat.range(begin: first.owner.begin.rawValue, size: first.owner.size.rawValue)
            let laterRange = NumberFormat.range(begin: later.owner.begin.rawValue, size: later.owner.size.rawValue)
            let domain = first.owner.domain.canonical
            #expect(
                errorsAndNotes(validate([("g.yaml", yaml)])) == [
                    "g.yaml:\(laterLine):14: error: the owner range \(laterRange) of region '\(later.id)' overlaps the "
                        + "owner range \(earlierRange) of region 'region-0' in \(domain); move one of them",
                    "g.yaml:\(earlierLine):14: note: region 'region-0' uses \(earlierRange) in \(domain) here",
                ])
        }
    }

    @Test func anOverflowingRangeProducesExactlyItsDiagnostic() async {
        let input = zip(GeneratedManifest.seeds(regions: 1...8), Gen.uint64(in: 1...1024))
        await propertyCheck(count: 100, input: input) { seeds, back in
            var regions = GeneratedManifest.regions(from: seeds)
            let size = regions[0].owner.size
            let pagesBack = 1 + (back - 1) % size.pages
            let begin = GuestAddress(gfn: (UInt64.max >> 12) + 1 - pagesBack)
            regions[0].owner.begin = begin
            let yaml = ManifestEncoder.encode(regions)
            let line = yaml.lineNumbers(of: "      begin: \(begin)")[0]
            #expect(
                errorsAndNotes(validate([("g.yaml", yaml)])) == [
                    "g.yaml:\(line):14: error: the owner's range \(begin) + \(size) does not fit in 64 bits; write a "
                        + "begin of at most \(NumberFormat.hex(0 &- size.rawValue &- 4096))"
                ])
        }
    }

    private func errorsAndNotes(_ state: DesiredState) -> [String] {
        state.diagnostics.filter { $0.severity != .warning }.map(\.description)
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
