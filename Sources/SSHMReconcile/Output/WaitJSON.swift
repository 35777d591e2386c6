import SSHMCore

/// `wait --json` (schema: `docs/wait.schema.json`): the outcome, every part looked at with whether it is in place,
/// and the messages for people (which scripts should not parse).
package enum WaitJSON {
    struct Document: Encodable {
        var formatVersion = JSONOutput.formatVersion
        /// `ready`, `failed`, `timeout`, `unknown` or `frozen`.
        var outcome: String
        var parts: [Part]
        var messages: [String]
    }

    struct Part: Encodable {
        var region: String
        /// `owner` or `borrower`.
        var role: String
        var domain: JSONDomain
        var inPlace: Bool
        /// Why it is not in place, for people.
        @NullWhenAbsent var message: String?
    }

    package static func render(_ verdict: ReadinessVerdict) throws -> String {
        try JSONOutput.render(
            Document(
                outcome: verdict.outcome == .waiting ? "timeout" : verdict.outcome.rawValue,
                parts: verdict.parts.map { status in
                    Part(
                        region: status.part.region.rawValue, role: status.part.role.rawValue,
                        domain: JSONDomain(domid: status.part.domain.domid.rawValue, name: status.part.domain.name),
                        inPlace: status.gap == nil, message: status.gap)
                },
                messages: verdict.messages))
    }
}
