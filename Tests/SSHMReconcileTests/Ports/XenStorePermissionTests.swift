import SSHMReconcile
import Testing

struct XenStorePermissionTests {
    @Test(arguments: [
        ("n0", XenStorePermission(domid: 0, access: .none)), ("r5", XenStorePermission(domid: 5, access: .read)),
        ("w12", XenStorePermission(domid: 12, access: .write)), ("b007", XenStorePermission(domid: 7, access: .both)),
        ("r4294967295", XenStorePermission(domid: UInt32.max, access: .read)),
    ])
    func parsesAnAccessLetterAndADecimalDomid(_ text: String, _ expected: XenStorePermission) {
        #expect(XenStorePermission(text) == expected)
        #expect(XenStorePermission(utf8: Array(text.utf8)) == expected)
        #expect(expected.description == "\(text.first.map(String.init) ?? "")\(expected.domid)")
    }

    /// What a hostile or broken reply could hold: each is refused, none wraps or reads past the entry.
    @Test(arguments: ["", "n", "x5", "R5", "r-1", "r+5", "r 5", "r5 ", "r4294967296", "r99999999999999999999", "rx"])
    func refusesAnythingElse(_ text: String) {
        #expect(XenStorePermission(text) == nil)
        #expect(XenStorePermission(utf8: Array(text.utf8)) == nil)
    }
}
