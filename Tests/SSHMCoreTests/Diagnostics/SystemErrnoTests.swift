import SSHMCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct SystemErrnoTests {
    @Test(arguments: [
        (EACCES, "EACCES", "Permission denied", "Permission denied (EACCES, errno 13)"),
        (ENOENT, "ENOENT", "No such file or directory", "No such file or directory (ENOENT, errno 2)"),
        (EPERM, "EPERM", "Operation not permitted", "Operation not permitted (EPERM, errno 1)"),
        (EINVAL, "EINVAL", "Invalid argument", "Invalid argument (EINVAL, errno 22)"),
        (ESRCH, "ESRCH", "No such process", "No such process (ESRCH, errno 3)"),
        (EDQUOT, "EDQUOT", "Disk quota exceeded", "Disk quota exceeded (EDQUOT, errno 122)"),
        (ECONNREFUSED, "ECONNREFUSED", "Connection refused", "Connection refused (ECONNREFUSED, errno 111)"),
        (200, "errno 200", "Unknown error 200", "Unknown error 200 (errno 200)"),
        (0, "errno 0", "Unknown error 0", "Unknown error 0 (errno 0)"),
    ])
    func anErrnoIsNamedByItsSymbolAndNumber(errno: Int32, name: String, reason: String, text: String) {
        let value = SystemErrno(errno)
        #expect(value.name == name)
        #expect(value.reason == reason)
        #expect(value.description == text)
    }

    @Test func aliasesTakeTheNameTheirNumberIsListedUnder() {
        #expect(SystemErrno(EWOULDBLOCK).name == "EAGAIN")
        #expect(SystemErrno(ENOTSUP).name == "EOPNOTSUPP")
    }

    /// The table stands in for `strerror`, so it must say what glibc says for every errno it names.
    @Test func everyNamedErrnoReadsAsStrerrorDoes() {
        for value in Int32(1)...Int32(133) where !SystemErrno(value).name.hasPrefix("errno ") {
            #expect(SystemErrno(value).reason == String(cString: strerror(value)), "\(SystemErrno(value).name)")
        }
    }

    @Test func aNameReadsBackAsItsNumberInAnyCase() {
        #expect(SystemErrno(named: "EACCES") == SystemErrno(EACCES))
        #expect(SystemErrno(named: "eopnotsupp") == SystemErrno(EOPNOTSUPP))
        #expect(SystemErrno(named: "EWHATEVER") == nil)
    }
}
