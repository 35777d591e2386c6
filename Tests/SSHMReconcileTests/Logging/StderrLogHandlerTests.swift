import Foundation
import Logging
import SSHMReconcile
import Testing

struct StderrLogHandlerTests {
    static let time = Date(timeIntervalSince1970: 1_800_000_000)

    @Test(arguments: [
        (Logger.Level.error, "<3>error: map failed action=map domid=5 region=telemetry\n"),
        (.warning, "<4>warning: map failed action=map domid=5 region=telemetry\n"),
        (.info, "<6>info: map failed action=map domid=5 region=telemetry\n"),
        (.debug, "<7>debug: map failed action=map domid=5 region=telemetry\n"),
    ])
    func prefixesTheSystemdPriorityWhenStderrIsTheJournal(_ level: Logger.Level, _ expected: String) {
        let handler = StderrLogHandler(label: "t", level: .trace, format: .text, journal: true)
        let line = handler.render(
            level: level, message: "map failed", metadata: ["region": "telemetry", "domid": "5", "action": "map"],
            time: Self.time)
        #expect(line == expected)
    }

    @Test func writesPlainTextOtherwise() {
        let handler = StderrLogHandler(label: "t", level: .trace, format: .text, journal: false)
        #expect(handler.render(level: .notice, message: "stopped", metadata: [:], time: Self.time) == "notice: stopped\n")
    }

    @Test func writesOneJSONObjectPerLine() throws {
        let handler = StderrLogHandler(label: "t", level: .trace, format: .json, journal: true)
        let line = handler.render(level: .info, message: "mapped", metadata: ["region": "telemetry"], time: Self.time)
        #expect(line.hasSuffix("}\n") && !line.dropLast().contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object == ["level": "info", "message": "mapped", "region": "telemetry", "time": "2027-01-15T08:00:00Z"])
    }
}
