import SSHMCore
import Testing

/// Durations in systemd.time(7)'s spelling, as the shipped timer and /etc/default write them.
struct SystemdDurationTests {
    @Test(arguments: [
        ("5min", Duration.seconds(300)), ("5m", .seconds(300)), ("1m30s", .seconds(90)), ("1min 30s", .seconds(90)),
        ("1d", .seconds(86_400)), ("500ms", .milliseconds(500)), ("2.5s", .milliseconds(2500)), ("300", .seconds(300)),
        ("1h", .seconds(3600)), ("2 hours", .seconds(7200)), ("1w", .seconds(604_800)), ("250us", .microseconds(250)),
        (" 30s ", .seconds(30)),
    ])
    func readsSystemdSpellings(_ text: String, _ expected: Duration) {
        #expect(SystemdDuration.parse(text) == expected)
    }

    @Test(arguments: [
        "", "5x", "min", "5 5", "1.2.3s", "-5s", "5s-", "1e3", "5mins", String(repeating: "1s", count: 40),
    ])
    func refusesAnythingElse(_ text: String) {
        #expect(SystemdDuration.parse(text) == nil)
    }

    @Test(arguments: [
        (Duration.seconds(300), "5min"), (.seconds(90), "1m30s"), (.seconds(86_400), "1d"),
        (.milliseconds(500), "500ms"),
        (.seconds(30), "30s"), (.seconds(3600 + 1), "1h1s"),
    ])
    func formatsInTheShortestSpellingThatReadsBack(_ duration: Duration, _ text: String) {
        #expect(SystemdDuration.format(duration) == text)
        #expect(SystemdDuration.parse(text) == duration)
    }
}
