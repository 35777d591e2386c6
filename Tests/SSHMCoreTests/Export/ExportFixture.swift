import Foundation
import SSHMCore
import Testing

/// `Fixtures/export/10-guests.yaml`, validated as if read from `/etc/sshm.d`, and what export makes of it.
enum ExportFixture {
    static let configDirectory = "/etc/sshm.d"

    static func regions() throws -> [Region] {
        let text = try Fixtures.text("export", "10-guests.yaml")
        let desired = validate([(configDirectory + "/10-guests.yaml", text)], arch: .arm64)
        #expect(desired.diagnostics.filter { $0.severity == .error } == [])
        return desired.regions
    }

    /// The description of `domain`, named as the manifest names it.
    static func description(_ domain: String) throws -> GuestDescription {
        let reference = DomainRef.name(domain)
        guard case .regions(let found) = ExportSelection.select(reference, in: try regions()) else {
            Issue.record("the fixture names every domain by name")
            return GuestDescription(domain: reference, names: nil, configDirectory: configDirectory, regions: [])
        }
        return GuestDescription(domain: reference, names: nil, configDirectory: configDirectory, regions: found)
    }

    /// Expects `text` to equal the golden file `Fixtures/export/<name>`. `SSHM_UPDATE_GOLDEN=1` rewrites the file in
    /// the source tree instead (review the diff before committing it).
    static func expectGolden(
        _ text: String, _ name: String, filePath: String = #filePath,
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws {
        if ProcessInfo.processInfo.environment["SSHM_UPDATE_GOLDEN"] == "1" {
            let source = URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
            try Data(text.utf8).write(to: source.appendingPathComponent("Fixtures/export/\(name)"))
            return
        }
        #expect(text == (try Fixtures.text("export", name)), sourceLocation: sourceLocation)
    }
}
