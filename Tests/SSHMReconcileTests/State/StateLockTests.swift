import SSHMCore
import SSHMReconcile
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct StateLockTests {
    @Test func aStateDirectoryThatCannotBeMadeNamesItsErrno() {
        let error = #expect(throws: StateLock.Failure.self) {
            try StateLock(directory: "/dev/null/state", holder: .apply)
        }
        #expect(error == .failed(path: "/dev/null/state", errno: ENOTDIR))
        #expect(error?.description == "cannot lock /dev/null/state: Not a directory (ENOTDIR, errno 20)")
    }
}
