#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Renders a ``StatusReport`` as a table for people, coloured on a terminal (``StatusJSON`` for scripts).
package enum StatusRenderer {
    /// The table `status` prints; `wide` adds the reason, the time of the last transition, the manifest and whether
    /// the members' guest views are in place.
    package static func table(_ report: StatusReport, colour: Bool, wide: Bool = false) -> String {
        let hypervisor = report.hypervisor
        var out =
            "hypervisor: \(hypervisor.kind == "xen" ? "" : hypervisor.kind + " ")Xen \(hypervisor.version), \(hypervisor.arch), "
        out +=
            "\(hypervisor.controlDomain ? "running in dom0" : "NOT running in dom0"), map space \(hypervisor.mapSpace)\n"
        guard !report.regions.isEmpty else { return out + "no regions: nothing declared and no records\n" }
        var header = ["REGION", "CONDITION", "OWNER", "BORROWERS"]
        if wide { header += ["REASON", "SINCE", "SOURCE", "VIEWS"] }
        header.append("MESSAGE")
        let rows = report.regions.map { region -> [String] in
            let owner = region.owner.map(label) ?? "-"
            let borrowers =
                region.borrowers.isEmpty
                ? "-"
                : region.borrowers.map {
                    "\(label($0))\($0.state.map { " \($0)" } ?? "")\($0.doorbell.map { " [doorbell: \($0)]" } ?? "")"
                }.joined(separator: ", ")
            var message = region.message
            if region.pending > 0 {
                message +=
                    (message.isEmpty ? "" : "; ") + "\(region.pending) change\(region.pending == 1 ? "" : "s") pending"
            }
            var row = [region.id, region.condition, owner, borrowers]
            if wide {
                row += [
                    region.reason.isEmpty ? "-" : region.reason,
                    region.since.map { $0.formatted(.iso8601) } ?? "-", region.source ?? "-", views(region),
                ]
            }
            return row + [message]
        }
        let last = header.count - 1
        let widths = (0..<last).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String], paint: Bool) -> String {
            var text = ""
            for column in 0..<last {
                let cell = cells[column] + String(repeating: " ", count: widths[column] - cells[column].count)
                text += (paint && column == 1 ? colourise(cell, cells[1], colour) : cell) + "  "
            }
            return text + cells[last] + "\n"
        }
        out += line(header, paint: false)
        for row in rows { out += line(row, paint: true) }
        let counts = Dictionary(grouping: report.regions, by: \.condition).mapValues(\.count)
        out += counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + "\n"
        return out
    }

    /// `in place` when every member's guest view is, else the members whose view is not, with what is wrong;
    /// `-` without a record.
    private static func views(_ region: StatusReport.RegionStatus) -> String {
        let members = ([region.owner].compactMap { $0 } + region.borrowers).filter { $0.view != nil }
        guard !members.isEmpty else { return "-" }
        let wrong = members.filter { $0.view != "in_place" }
        guard !wrong.isEmpty else { return "in place" }
        return wrong.map { "\(label($0)) \($0.view ?? "")" }.joined(separator: ", ")
    }

    private static func label(_ member: StatusReport.Member) -> String {
        member.domid.map { "\(member.domain) (dom\($0))" } ?? member.domain
    }

    private static func colourise(_ cell: String, _ condition: String, _ enabled: Bool) -> String {
        guard enabled else { return cell }
        let code =
            switch condition {
            case "Ready": "32"
            case "Pending": "33"
            case "Degraded", "Frozen": "35"
            case "Failed": "31"
            default: "0"
            }
        return "\u{1B}[\(code)m\(cell)\u{1B}[0m"
    }
}
