import SSHMCore
import SSHMReconcile

/// Pure decoding of what `xc_version` and `/proc/xen/capabilities` say, kept apart from the calls so that it can be
/// tested without Xen.
enum XenIdentity {
    /// `4.17` + `.7` → `4.17.7`. `packed` is `XENVER_version`'s answer: major in the high 16 bits, minor in the low.
    static func version(packed: Int32, extra: String) -> String {
        "\(packed >> 16).\(packed & 0xFFFF)\(extra)"
    }

    /// The architecture from `XENVER_capabilities` (e.g. `xen-3.0-x86_64 hvm-3.0-x86_32 …` or `xen-3.0-aarch64
    /// xen-3.0-armv7l`); `nil` when it names neither.
    static func arch(capabilities: String) -> Arch? {
        let words = capabilities.split(separator: " ")
        if words.contains(where: { $0.hasSuffix("-x86_64") }) { return .x86_64 }
        if words.contains(where: { $0.hasSuffix("-aarch64") }) { return .arm64 }
        return nil
    }

    /// Whether `/proc/xen/capabilities` says this kernel runs the control domain (it holds `control_d` there, and
    /// is empty in a domU).
    static func isControlDomain(procCapabilities: String) -> Bool {
        procCapabilities.split(whereSeparator: { $0 == "," || $0.isWhitespace }).contains("control_d")
    }

    /// A C string from a fixed-size `char[]` field (a Swift tuple), up to its first NUL.
    static func string<T>(fromCharArray value: T) -> String {
        withUnsafeBytes(of: value) { bytes in String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// The UUID in a `xen_domain_handle_t` (16 bytes, a Swift tuple).
    static func uuid<T>(handle: T) -> DomainUUID {
        withUnsafeBytes(of: handle) { DomainUUID(bytes: Array($0.prefix(16))) }
    }
}
