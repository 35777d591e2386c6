/// Renders a plan for people, Terraform-style.
package enum PlanRenderer {
    /// One line per action, then notes, then `Plan: …` (or `No changes.`).
    package static func text(_ plan: Plan) -> String {
        var lines = plan.actions.map(\.line)
        lines += plan.notes.map { "note: \($0)" }
        lines.append(summary(plan))
        return lines.joined(separator: "\n") + "\n"
    }

    /// `Plan: 3 to map, 1 to repair, 0 to remap, 0 to unmap, 0 to gc, 0 to prune.` or `No changes. …`.
    package static func summary(_ plan: Plan) -> String {
        guard !plan.isEmpty else { return "No changes. The host matches the manifests." }
        let counts = plan.counts
        let parts = Action.Kind.allCases.map { "\(counts[$0, default: 0]) to \($0.rawValue)" }
        return "Plan: " + parts.joined(separator: ", ") + "."
    }
}
