import SSHMCore
import Testing

@Suite struct XLConfigParserTests {
    @Test func readsSettingsListsCommentsAndBothQuotes() {
        let text = """
            name = "vm1"   # the domain
            memory = 1024; vcpus = 2
            builder = hvm
            disk = [ 'phy:/dev/vg/vm1,xvda,w',
                     "file:/srv/b.img,xvdb,r", ]
            static_shm = ["id=A, role=owner"]
            static_shm += [ "id=B" ]
            extra = "a \\"quoted\\" \\\\ word"
            """
        let (settings, diagnostics) = XLConfigParser.parse(text, file: "vm1.cfg")
        #expect(diagnostics.isEmpty)
        #expect(
            settings.map(\.name) == ["name", "memory", "vcpus", "builder", "disk", "static_shm", "static_shm", "extra"])
        #expect(settings[0].value == .string("vm1", at: SourceLocation(file: "vm1.cfg", line: 1, column: 8)))
        #expect(settings[6].appends)
        guard case .list(let disks, _) = settings[4].value else {
            Issue.record("disk is not a list")
            return
        }
        #expect(disks.count == 2)
        #expect(disks[1].location == SourceLocation(file: "vm1.cfg", line: 5, column: 10))
        #expect(
            settings[7].value
                == .string("a \"quoted\" \\ word", at: SourceLocation(file: "vm1.cfg", line: 8, column: 9)))
    }

    static let syntaxErrors: [(String, String)] = [
        ("name = \"vm1\n", "x.cfg:1:8: error: the string is not closed on this line; add the closing \""),
        ("name \"vm1\"\n", "x.cfg:1:6: error: expected '=' after 'name'"),
        ("static_shm = [ \"a\" \"b\" ]\n", "x.cfg:1:20: error: expected ',' or ']' in the list"),
        ("= 5\n", "x.cfg:1:1: error: expected a setting such as name = \"vm1\""),
        ("name = \"a\" \"b\"\n", "x.cfg:1:12: error: expected the end of the line after the value of 'name'"),
        ("memory = \n", "x.cfg:1:10: error: expected a value: a quoted string, a number or a [list]"),
        ("name = $x\n", "x.cfg:1:8: error: unexpected character '$'"),
    ]

    @Test(arguments: syntaxErrors)
    func reportsTheFirstSyntaxErrorWithItsPosition(_ text: String, _ expected: String) {
        #expect(XLConfigParser.parse(text, file: "x.cfg").diagnostics.map(\.description) == [expected])
    }
}

@Suite struct XLStaticShmEntryTests {
    static let at = SourceLocation(file: "vm.cfg", line: 2, column: 15)

    @Test func readsEveryKeyAsTheSeriesDoes() throws {
        let (entry, diagnostics) = XLStaticShmEntry.parse(
            "id=ID2, offset = 0x10000, begin=0x690000, size=1114112, role=slave, prot=rw", domain: "vm3", at: Self.at)
        #expect(diagnostics.isEmpty)
        let parsed = try #require(entry)
        #expect(parsed.id.value == "ID2")
        #expect(parsed.role == .borrower)
        #expect(parsed.offset == 0x10000)
        #expect(parsed.begin == 0x690000)
        #expect(parsed.size == 0x110000)
        #expect(parsed.prot == "rw")
        #expect(parsed.keyLocations["begin"] == SourceLocation(file: "vm.cfg", line: 2, column: 48))
    }

    @Test func theRoleDefaultsToBorrowerAndMasterMeansOwner() {
        #expect(XLStaticShmEntry.parse("id=A, begin=0", domain: "d", at: Self.at).entry?.role == .borrower)
        #expect(XLStaticShmEntry.parse("id=A, begin=0, role=master", domain: "d", at: Self.at).entry?.role == .owner)
        #expect(XLStaticShmEntry.parse("id=A, begin=0, role=owner,", domain: "d", at: Self.at).entry?.role == .owner)
    }

    static let problems: [(String, [String])] = [
        ("begin=0x1000", ["vm.cfg:2:15: error: the static_shm entry has no id; add id=NAME"]),
        ("id=A", ["vm.cfg:2:15: error: the static_shm entry has no begin; add begin=0x…"]),
        ("id=A, begin=0x1000, siz=4096", ["vm.cfg:2:36: error: unknown static_shm key 'siz'; did you mean 'size'?"]),
        ("id=A, begin=0x1000, begin=0x2000", ["vm.cfg:2:36: error: 'begin' is given twice in this entry; keep one"]),
        (
            "id=A, begin=12k",
            ["vm.cfg:2:28: error: expected a number such as 0x100000 or 1048576 for begin, found '12k'"]
        ),
        (
            "id=A, begin=0, role=boss",
            [
                "vm.cfg:2:36: error: role must be owner or borrower (or the older master or slave), found 'boss'"
            ]
        ),
        (
            "id=A begin=0",
            [
                "vm.cfg:2:19: error: expected one word after 'id=', found 'A begin=0'; separate settings with commas"
            ]
        ),
        ("id=A,, begin=0", ["vm.cfg:2:21: error: empty setting in the static_shm entry; remove the extra comma"]),
    ]

    @Test(arguments: problems)
    func reportsEachProblemAtItsColumn(_ spec: String, _ expected: [String]) {
        let (entry, diagnostics) = XLStaticShmEntry.parse(spec, domain: "d", at: Self.at)
        #expect(entry == nil)
        #expect(diagnostics.map(\.description) == expected)
    }
}
