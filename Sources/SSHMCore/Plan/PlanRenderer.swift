/// Renders a plan for people, Terraform-style.
package enum PlanRenderer {
    /// One line per action, then notes, then the headline (``summary(_:invalidManifests:)``).
    package static func text(_ plan: Plan, invalidManifests: Int = 0) -> String {
        var lines = plan.actions.map(\.line)
        lines += plan.notes.map { "note: \($0)" }
        lines.append(summary(plan, invalidManifests: invalidManifests))
        return lines.joined(separator: "\n") + "\n"
    }

    /// `Plan: 3 to map, 1 to repair, 0 to remap, 0 to unmap, 0 to gc, 0 to prune.` or `No changes.`, then what the
    /// plan leaves unmatched: `The host matches the manifests.` only when nothing is.
    package static func summary(_ plan: Plan, invalidManifests: Int = 0) -> String {
        let unmatched = self.unmatched(plan, invalidManifests: invalidManifests)
        guard !plan.isEmpty else {
            return unmatched.map { "No changes, but not everything matches the manifests: \($0)." }
                ?? "No changes. The host matches the manifests."
        }
        let counts = plan.counts
        let parts = Action.Kind.allCases.map { "\(counts[$0, default: 0]) to \($0.rawValue)" }
        return "Plan: " + parts.joined(separator: ", ") + "." + (unmatched.map { " Afterwards still \($0)." } ?? "")
    }

    /// `1 region Pending (waiting for a domain), 1 Failed (see status); 1 manifest is invalid`, or `nil`.
    static func unmatched(_ plan: Plan, invalidManifests: Int) -> String? {
        let counts = Dictionary(grouping: plan.outlook.values, by: \.kind).mapValues(\.count)
        var regions: [String] = []
        for kind in ConditionKind.allCases where kind != .ready {
            guard let count = counts[kind] else { continue }
            let why =
                switch kind {
                case .ready: ""
                case .pending: "waiting for a domain"
                case .degraded: "to be retried"
                case .failed: "`sshm-reconcile status` says why"
                case .frozen: "left as they are"
                }
            regions.append(
                "\(regions.isEmpty ? MessageText.count(count, "region") : "\(count)") \(kind.rawValue) (\(why))")
        }
        var parts = regions.isEmpty ? [] : [regions.joined(separator: ", ")]
        if invalidManifests > 0 {
            parts.append(
                "\(MessageText.count(invalidManifests, "manifest")) \(invalidManifests == 1 ? "is" : "are") invalid")
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}
