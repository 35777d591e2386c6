import SSHMCore
import Testing

@Suite("Doorbell verdict")
struct DoorbellVerdictTests {
    @Test(arguments: [("", DoorbellPort.empty), ("1", .port(1)), ("131071", .port(131_071)), ("4096", .port(4096))])
    func acceptsTheEmptyStringAndPortsOneToXensLast(_ text: String, _ port: DoorbellPort) {
        #expect(DoorbellPort(parsing: text) == port)
    }

    @Test(arguments: [
        "0", "007", "131072", "4294967296", "-1", "+1", " 1", "1 ", "1\n", "0x10", "1e3", "١٢", "1234567",
        String(repeating: "9", count: 100_000), "5\u{0}",
    ])
    func refusesEverythingElse(_ text: String) {
        guard case .invalid = DoorbellPort(parsing: text) else {
            Issue.record("\(text.prefix(20)) was accepted")
            return
        }
    }

    @Test func showsAGuestsTextPrintableAndShort() {
        #expect(DoorbellPort.shown("ab\ncd") == "'ab?cd'")
        #expect(DoorbellPort.shown(String(repeating: "x", count: 40)) == "'\(String(repeating: "x", count: 16))…'")
    }

    static let (owner, borrower, other) = (DomID(unchecked: 3), DomID(unchecked: 4), DomID(unchecked: 9))

    static func state(_ ownerValue: String, _ borrowerValue: String, _ status: EventChannelAnswer?) -> DoorbellState {
        DoorbellVerdict.state(
            owner: owner, borrower: borrower, ownerValue: ownerValue, borrowerValue: borrowerValue, status: status)
    }

    @Test func followsTheHandshakeFromNothingToConnected() {
        #expect(Self.state("", "", nil) == .waitingForOwner)
        #expect(Self.state("5", "", .status(.unbound(remote: Self.borrower))) == .waitingForBorrower)
        #expect(Self.state("5", "", .status(.interdomain(remote: Self.borrower, remotePort: 7))) == .waitingForBorrower)
        #expect(Self.state("5", "7", .status(.interdomain(remote: Self.borrower, remotePort: 7))) == .connected)
    }

    @Test(
        arguments: [
            ("", "7", nil, "published none"),
            ("5", "7", .status(.unbound(remote: borrower)), "not bound"),
            ("5", "", .status(.unbound(remote: other)), "offered to domain 9"),
            ("5", "7", .status(.interdomain(remote: other, remotePort: 7)), "bound to domain 9"),
            ("5", "8", .status(.interdomain(remote: borrower, remotePort: 7)), "bound to its port 7"),
            ("5", "", .status(.closed), "closed"),
            ("5", "", .status(.other("ipi")), "ipi channel"),
            ("5", "", .failed(SystemErrno(22)), "EINVAL"),
            ("5", "", nil, "not checked"),
            ("x", "", nil, "owner's port 'x' is invalid"),
            ("5", "07", .status(.interdomain(remote: borrower, remotePort: 7)), "borrower's port '07' is invalid"),
        ] as [(String, String, EventChannelAnswer?, String)])
    func namesWhyAPairIsBroken(
        _ ownerValue: String, _ borrowerValue: String, _ status: EventChannelAnswer?, _ why: String
    ) {
        let state = Self.state(ownerValue, borrowerValue, status)
        #expect(state.isBroken)
        #expect("\(state)".hasPrefix("broken: ") && "\(state)".contains(why), "\(state)")
    }

    @Test func asksTheHypervisorOnlyAboutAPortThatParsed() {
        #expect(DoorbellVerdict.ownerPort("12") == 12)
        #expect(DoorbellVerdict.ownerPort("") == nil)
        #expect(DoorbellVerdict.ownerPort("0") == nil)
        #expect(DoorbellVerdict.ownerPort(String(repeating: "1", count: 4000)) == nil)
    }
}
