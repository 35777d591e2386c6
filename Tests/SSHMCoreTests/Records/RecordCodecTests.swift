import SSHMCore
import SSHMTestSupport
import Testing

struct RecordCodecTests {
    static let id = Build.id("telemetry")

    static func seedRecord() -> RawRecord {
        RawRecord(
            fields: [
                "master": "3", "begin": "0x7fe00000", "size": "0x200000", "prot": "rw", "cache_policy": "ARM_normal",
                "usercnt": "2",
            ],
            borrowers: ["5": ["begin": "0x1000000000", "size": "0x100000", "offset": "0x0", "prot": "rw"]],
            borrowersKey: "slaves")
    }

    @Test func readsARecordAsTheSeedWroteIt() {
        let record = RecordCodec.decode(id: Self.id, Self.seedRecord())
        #expect(record.dialect == .masterSlave)
        #expect(record.owner == Build.domid(3))
        #expect(record.begin == Build.address(0x7FE0_0000))
        #expect(record.size == Build.size(0x20_0000))
        #expect(record.cachePolicy == .armNormal)
        #expect(record.usercnt == 2)
        #expect(!record.isManaged)
        let borrower = record.borrowers[Build.domid(5)]
        #expect(borrower?.frames == 0x100_0000..<0x100_0100)
        #expect(borrower?.isMapped == true)
        #expect(record.problems.isEmpty && borrower?.problems.isEmpty == true)
    }

    @Test func readsTheForksOwnerBorrowerSpelling() {
        let raw = RawRecord(
            fields: ["owner": "3", "begin": "0x1000", "size": "0x1000", "prot": "ro", "cache_policy": "x86_normal"],
            borrowers: ["7": ["begin": "0x2000", "size": "0x1000", "offset": "0x0", "prot": "ro"]],
            borrowersKey: "borrowers")
        let record = RecordCodec.decode(id: Self.id, raw)
        #expect(record.dialect == .ownerBorrower)
        #expect(record.owner == Build.domid(3))
        #expect(record.borrowers.keys.map(\.rawValue) == [7])
    }

    @Test(arguments: [
        ("master", "0x3", "master \"0x3\" is not a domid"),
        ("master", "03", "master \"03\" is not a domid"),
        ("begin", "0x7fe00001", "begin \"0x7fe00001\" is not a page-aligned 0x address"),
        ("begin", "2145386496", "begin \"2145386496\" is not a page-aligned 0x address"),
        ("size", "0x0", "size \"0x0\" is not a non-zero page-aligned 0x size"),
        ("size", "0x10000000000000000", "size \"0x10000000000000000\" is not a non-zero page-aligned 0x size"),
        ("prot", "rwx", "prot \"rwx\" is not rw or ro"),
        ("usercnt", "-1", "usercnt \"-1\" is not a count"),
    ])
    func turnsAMalformedFieldIntoAProblemInsteadOfAGuess(field: String, value: String, problem: String) {
        var raw = Self.seedRecord()
        raw.fields[field] = value
        let record = RecordCodec.decode(id: Self.id, raw)
        #expect(record.problems == [problem])
    }

    @Test func reportsMissingFieldsAndAnUnknownState() {
        let raw = RawRecord(
            fields: ["manager": "sshm-reconcile"], borrowers: ["5": ["state": "half"], "x": [:]], borrowersKey: "slaves"
        )
        let record = RecordCodec.decode(id: Self.id, raw)
        #expect(record.problems.contains("master is missing"))
        #expect(record.problems.contains("slaves/x is not a domid"))
        #expect(record.borrowers[Build.domid(5)]?.problems.contains("slaves/5/state \"half\" is unknown") == true)
        #expect(record.borrowers[Build.domid(5)]?.frames == nil)
    }

    @Test func refusesOverlongValuesFromTheStore() {
        var raw = Self.seedRecord()
        raw.fields["source"] = String(repeating: "a", count: 5000)
        #expect(RecordCodec.decode(id: Self.id, raw).problems == ["source is longer than 4096 bytes"])
        raw.fields["source"] = "/" + String(repeating: "a", count: 1000) + ".yaml"
        #expect(RecordCodec.decode(id: Self.id, raw).problems.isEmpty)
    }

    @Test func encodesNumbersTheWayTheSeedDoes() {
        let nodes = RecordCodec.headerNodes(
            owner: Build.domid(10), ownerUUID: Build.uuid(10), begin: Build.address(0x7FE0_0000),
            size: Build.size(0x20_0000), prot: .rw, cachePolicy: .armNormal, source: "/etc/sshm.d/a.yaml",
            dialect: .masterSlave)
        let values = Dictionary(uniqueKeysWithValues: nodes.map { ($0.name, $0.value) })
        #expect(values["master"] == "10")
        #expect(values["begin"] == "0x7fe00000")
        #expect(values["size"] == "0x200000")
        #expect(values["manager"] == "sshm-reconcile")
    }

    @Test func roundTripsWhatItWrites() {
        let header = RecordCodec.headerNodes(
            owner: Build.domid(3), ownerUUID: Build.uuid(3), begin: Build.address(0x1000), size: Build.size(0x3000),
            prot: .ro, cachePolicy: .x86Normal, source: "/s.yaml", dialect: .ownerBorrower)
        let entry = RecordCodec.borrowerNodes(
            begin: Build.address(0x9000), size: Build.size(0x2000), offset: Build.offset(0x1000), prot: .ro,
            uuid: Build.uuid(5), state: .mapped)
        let raw = RawRecord(
            fields: Dictionary(uniqueKeysWithValues: header.map { ($0.name, $0.value) }).merging(["usercnt": "2"]) {
                $1
            },
            borrowers: ["5": Dictionary(uniqueKeysWithValues: entry.map { ($0.name, $0.value) })],
            borrowersKey: "borrowers")
        let record = RecordCodec.decode(id: Self.id, raw)
        #expect(record.problems.isEmpty)
        #expect(record.isManaged && record.ownerUUID == Build.uuid(3) && record.prot == .ro)
        #expect(record.borrowers[Build.domid(5)]?.offset == Build.offset(0x1000))
        #expect(record.borrowers[Build.domid(5)]?.state == .mapped)
        #expect(record.expectedUsercnt == 2)
    }

    @Test func shardsIdsByAStableHash() {
        #expect(RecordPaths.shard(of: Build.id("telemetry")) == RecordPaths.shard(of: Build.id("telemetry")))
        #expect(RecordPaths.shard(of: Build.id("a")) == "2c")  // FNV-1a("a") = 0xe40c292c
        #expect(RecordPaths.indexEntry(Build.id("a")) == "/tool/sshm-reconcile/index/2c/a")
        let shards = Set((0..<4096).map { RecordPaths.shard(of: Build.id("region-\($0)")) })
        #expect(shards.count == 256)
    }
}
