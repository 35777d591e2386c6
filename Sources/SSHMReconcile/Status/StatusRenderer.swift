#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Renders a ``StatusReport`` as a table (coloured on a terminal) or as JSON.
package enum StatusRenderer {
    package static func json(_ report: StatusReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
    }

    package static func table(_ report: StatusReport, colour: Bool) -> String {
        let hypervisor = report.hypervisor
        var out =
            "hypervisor: \(hypervisor.kind == "xen" ? "" : hypervisor.kind + " ")Xen \(hypervisor.version), \(hypervisor.arch), "
        out +=
            "\(hypervisor.controlDomain ? "running in dom0" : "NOT running in dom0"), map space \(hypervisor.mapSpace)\n"
        guard !report.regions.isEmpty else { return out + "no regions: nothing declared and no records\n" }
        let header = ["REGION", "CONDITION", "OWNER", "BORROWERS", "MESSAGE"]
        let rows = report.regions.map { region -> [String] in
            let owner = region.owner.map(label) ?? "-"
            let borrowers =
                region.borrowers.isEmpty
                ? "-"
                : region.borrowers.map { "\(label($0))\($0.state.map { " \($0)" } ?? "")" }.joined(separator: ", ")
            var message = region.message
            if region.pending > 0 {
                message +=
                    (message.isEmpty ? "" : "; ") + "\(region.pending) change\(region.pending == 1 ? "" : "s") pending"
            }
            return [region.id, region.condition, owner, borrowers, message]
        }
        let widths = (0..<4).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String], paint: Bool) -> String {
            var text = ""
            for column in 0..<4 {
                let cell = cells[column] + String(repeating: " ", count: widths[column] - cells[column].count)
                text += (paint && column == 1 ? colourise(cell, cells[1], colour) : cell) + "  "
            }
            return text + cells[4] + "\n"
        }
        out += line(header, paint: false)
        for row in rows { out += line(row, paint: true) }
        let counts = Dictionary(grouping: report.regions, by: \.condition).mapValues(\.count)
        out += counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + "\n"
        return out
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
