/// A `port` node's value in a doorbell rendezvous: written by a guest, so parsed strictly and bounded
/// (docs/guest-view.md, "Doorbell").
package enum DoorbellPort: Hashable, Sendable {
    /// Not published yet, or reset by the tool.
    case empty
    case port(UInt32)
    /// Anything else; the reason names what is wrong, for the pair's `broken:` message.
    case invalid(String)

    /// Xen's FIFO ABI has 2^17 ports; port 0 is never a channel.
    package static let maxPort: UInt32 = 131_071
    /// `131071`: six digits.
    static let maxLength = 6

    package init(parsing value: String) {
        let bytes = Array(value.utf8)
        if bytes.isEmpty {
            self = .empty
        } else if bytes.count > Self.maxLength {
            self = .invalid("\(bytes.count) bytes long")
        } else if !bytes.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            self = .invalid("not a decimal number")
        } else if bytes[0] == UInt8(ascii: "0") {
            self = .invalid(bytes.count == 1 ? "port 0 is never a channel" : "a leading zero")
        } else if let port = UInt32(value), port <= Self.maxPort {
            self = .port(port)
        } else {
            self = .invalid("beyond Xen's last port \(Self.maxPort)")
        }
    }

    /// For messages: the value as published, quoted when it is not a port (it is a guest's text: printable ASCII
    /// only, at most 16 characters).
    package static func shown(_ value: String) -> String {
        let printable = value.unicodeScalars.prefix(16).map {
            $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?"
        }
        return "'\(String(printable))\(value.unicodeScalars.count > 16 ? "…" : "")'"
    }
}
