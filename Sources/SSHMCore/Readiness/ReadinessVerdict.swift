/// How a wait stands, first that applies: something named is unknown (exit 64) or frozen (65); every part is in
/// place (0); a region a missing part belongs to is `Failed` (1); else it goes on waiting (75 at the timeout).
package struct ReadinessVerdict: Hashable, Sendable {
    package enum Outcome: String, Hashable, Sendable {
        case unknown
        case frozen
        case ready
        case failed
        case waiting
    }

    /// One part in scope: `gap` says why it is not in place (`nil`: it is).
    package struct PartStatus: Hashable, Sendable {
        package var part: ReadinessPart
        package var gap: String?

        package init(part: ReadinessPart, gap: String?) {
            self.part = part
            self.gap = gap
        }
    }

    package var outcome: Outcome
    /// Every part in scope (none for `unknown` and `frozen`).
    package var parts: [PartStatus]
    /// For people, one phrase or sentence each: the names unknown, the regions frozen, the parts in place, the
    /// `Failed` regions (`id: message`), or what is missing.
    package var messages: [String]

    package init(_ outcome: Outcome, parts: [PartStatus] = [], messages: [String]) {
        self.outcome = outcome
        self.parts = parts
        self.messages = messages
    }
}
