#if canImport(Glibc)
    import Glibc
#endif

/// Failures the simulated hypervisor injects, for tests. Parsed from `SSHM_SIM_FAULTS`, a comma-separated list:
///
/// - `fail-call=N[:ERRNO]`: the N-th map call (1-based) fails as a whole (default ENOMEM); its per-page results are
///   left as garbage, like the real call's.
/// - `fail-page=K[:ERRNO]`: the K-th page (0-based, counted over every map call) fails (default EINVAL). May be
///   given more than once.
/// - `fail-unmap=N[:ERRNO]`: the N-th unmap call (1-based) fails (default EBUSY).
/// - `crash-before=N`, `crash-after=N`: the process kills itself with SIGKILL just before or just after the N-th
///   mutating call (map or unmap, 1-based) — a crash at that point of the protocol.
package struct SimulatorFaults: Hashable, Sendable {
    package var failCall: (call: Int, errno: Int32)?
    /// The pages that fail, with their errno.
    package var failPages: [UInt64: Int32] = [:]
    package var failUnmap: (call: Int, errno: Int32)?
    package var crashBefore: Int?
    package var crashAfter: Int?

    package init() {}

    /// One failing page (the first, when there are several); setting it replaces them all.
    package var failPage: (page: UInt64, errno: Int32)? {
        get { failPages.min { $0.key < $1.key }.map { ($0.key, $0.value) } }
        set { failPages = newValue.map { [$0.page: $0.errno] } ?? [:] }
    }

    /// The environment variable tests set on a subprocess.
    package static let environmentKey = "SSHM_SIM_FAULTS"

    /// Parses the list; `nil` for anything it does not understand.
    package init?(parsing text: String) {
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            let values = parts[1].split(separator: ":")
            guard let first = values.first, let number = Int(first), number >= 0 else { return nil }
            let errno = values.count > 1 ? Int32(values[1]) : nil
            switch parts[0] {
            case "fail-call": failCall = (number, errno ?? ENOMEM)
            case "fail-page": failPages[UInt64(number)] = errno ?? EINVAL
            case "fail-unmap": failUnmap = (number, errno ?? EBUSY)
            case "crash-before": crashBefore = number
            case "crash-after": crashAfter = number
            default: return nil
            }
        }
    }

    package static func == (lhs: SimulatorFaults, rhs: SimulatorFaults) -> Bool {
        lhs.failCall?.call == rhs.failCall?.call && lhs.failCall?.errno == rhs.failCall?.errno
            && lhs.failPages == rhs.failPages && lhs.failUnmap?.call == rhs.failUnmap?.call
            && lhs.failUnmap?.errno == rhs.failUnmap?.errno
            && lhs.crashBefore == rhs.crashBefore && lhs.crashAfter == rhs.crashAfter
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(failCall?.call)
        hasher.combine(failPages)
        hasher.combine(failUnmap?.call)
        hasher.combine(crashBefore)
        hasher.combine(crashAfter)
    }
}
