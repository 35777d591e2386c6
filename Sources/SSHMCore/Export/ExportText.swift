/// Text the export formats share.
enum ExportText {
    /// `rtos (dom6)`, `rtos`, or `dom6`: the domain as the command named it, with what xenstore added, for a
    /// comment (a name from xenstore may hold anything printable).
    static func domainLabel(_ description: GuestDescription) -> String {
        comment(label(description))
    }

    private static func label(_ description: GuestDescription) -> String {
        switch (description.name, description.domid) {
        case (let name?, let domid?): "\(name) (dom\(domid))"
        case (let name?, nil): name
        case (nil, let domid?): "dom\(domid)"
        case (nil, nil): "\(description.domain)"
        }
    }

    /// `doorbell with linux-gw, 7` for a comment, or `nil` when the domain has no doorbell in the region.
    static func doorbell(_ region: GuestRegion) -> String? {
        guard region.hasDoorbell else { return nil }
        return comment("doorbell with " + region.doorbellPeers.map(\.description).joined(separator: ", "))
    }

    /// `text` safe inside a C or dts comment: printable ASCII, and no `*/` to end the comment early.
    static func comment(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar == "/", out.hasSuffix("*") { out += "\\" }
            out.unicodeScalars.append(scalar.value >= 0x20 && scalar.value < 0x7F ? scalar : "?")
        }
        return out
    }
}
