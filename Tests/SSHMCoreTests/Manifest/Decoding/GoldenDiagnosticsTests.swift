import Foundation
import SSHMCore
import Testing

/// One rule of the manifest format and the exact lines it renders.
struct GoldenCase: Sendable, CustomTestStringConvertible {
    var rule: String
    var yaml: String
    var expected: [String]
    var arch: Arch = .x86_64

    var testDescription: String { rule }
}

/// Every rule of DESIGN §3, one manifest each, asserting the full rendered diagnostics.
@Suite struct GoldenDiagnosticsTests {
    static let structure: [GoldenCase] = [
        GoldenCase(
            rule: "unknown key with a near miss",
            yaml: telemetry(replacingLine: 11, with: "        sise: 1MiB"),
            expected: ["m.yaml:11:9: error: unknown key 'sise' in a borrower; did you mean 'size'?"]),
        GoldenCase(
            rule: "unknown key without a near miss",
            yaml: telemetry(replacingLine: 7, with: "      size: 2MiB\n      colour: red"),
            expected: [
                "m.yaml:8:7: error: unknown key 'colour' in the owner; write domain, begin, size, prot and "
                    + "cache_policy"
            ]),
        GoldenCase(
            rule: "duplicate key names the second and the first occurrence",
            yaml: telemetry(replacingLine: 7, with: "      size: 2MiB\n      size: 4MiB"),
            expected: [
                "m.yaml:8:7: error: duplicate key 'size'; a key may appear once per mapping, so remove or merge "
                    + "this one",
                "m.yaml:7:7: note: 'size' first appears here",
            ]),
        GoldenCase(
            rule: "wrong type: a word where a size belongs",
            yaml: telemetry(replacingLine: 7, with: "      size: two"),
            expected: ["m.yaml:7:13: error: expected a size such as 2MiB or 0x200000, found 'two'"]),
        GoldenCase(
            rule: "wrong type: a list where an address belongs",
            yaml: telemetry(replacingLine: 6, with: "      begin: [1, 2]"),
            expected: ["m.yaml:6:14: error: expected an address such as 0x7fe00000, found a list"]),
        GoldenCase(
            rule: "missing version",
            yaml: telemetry(replacingLine: 1, with: "# version forgotten"),
            expected: ["m.yaml:2:1: error: the document has no 'version'; add 'version: 1' at its top"]),
        GoldenCase(
            rule: "version other than 1",
            yaml: telemetry(replacingLine: 1, with: "version: 2"),
            expected: [
                "m.yaml:1:10: error: unsupported manifest version '2'; write 'version: 1', the only version this "
                    + "tool reads"
            ]),
        GoldenCase(
            rule: "missing owner",
            yaml: "version: 1\nregions:\n  - id: lonely\n",
            expected: ["m.yaml:3:5: error: region 'lonely' has no 'owner'; add an owner with domain, begin and size"]),
        GoldenCase(
            rule: "missing id",
            yaml: telemetry(replacingLine: 3, with: "  - owner_of: nothing"),
            expected: [
                "m.yaml:3:5: error: unknown key 'owner_of' in a region; write id, owner, borrowers and doorbell",
                "m.yaml:3:5: error: the region has no 'id'; add 'id: NAME' (letters, digits, '_' and '-')",
            ]),
        GoldenCase(
            rule: "missing borrower begin",
            yaml: telemetry(replacingLine: 10, with: "        offset: 0"),
            expected: [
                "m.yaml:9:9: error: a borrower has no 'begin'; add the guest-physical address where it sees the "
                    + "region, a hole in its memory map"
            ]),
        GoldenCase(
            rule: "regions must be a list",
            yaml: "version: 1\nregions:\n  id: x\n",
            expected: [
                "m.yaml:3:3: error: expected a list of regions under 'regions' (each item starts with '- id:'), "
                    + "found a mapping"
            ]),
        GoldenCase(
            rule: "empty regions value",
            yaml: "version: 1\nregions:\n",
            expected: [
                "m.yaml:2:9: error: expected a list of regions under 'regions' (each item starts with '- id:'), "
                    + "found nothing; write 'regions: []' for none"
            ]),
        GoldenCase(
            rule: "a document that is not a mapping",
            yaml: "- version: 1\n",
            expected: [
                "m.yaml:1:1: error: a manifest document must be a mapping with 'version' and 'regions', found a list"
            ]),
        GoldenCase(
            rule: "an empty file freezes instead of declaring nothing",
            yaml: "# nothing yet\n",
            expected: [
                "m.yaml:1:1: error: the file holds no manifest; write 'version: 1' and 'regions: []' to declare no "
                    + "regions (an empty file is refused so that a truncated file never removes regions)"
            ]),
        GoldenCase(
            rule: "explicit YAML tags",
            yaml: telemetry(replacingLine: 7, with: "      size: !!int 4096"),
            expected: [
                "m.yaml:7:13: error: YAML tags such as 'tag:yaml.org,2002:int' are not allowed in manifests; remove "
                    + "the tag"
            ]),
        GoldenCase(
            rule: "tabs cannot indent",
            yaml: telemetry(replacingLine: 7, with: "\tsize: 2MiB"),
            expected: ["m.yaml:7:1: error: a tab cannot indent YAML; indent with spaces"]),
        GoldenCase(
            rule: "anchors and aliases are refused before composing",
            yaml: telemetry(replacingLine: 5, with: "      domain: &vm sensor-vm")
                .replacingOccurrences(of: "domain: logger-vm", with: "domain: *vm"),
            expected: [
                "m.yaml:5:15: error: anchors such as '&vm' are not allowed in manifests; write each value out in full",
                "m.yaml:9:17: error: aliases such as '*vm' are not allowed in manifests (they can expand "
                    + "exponentially); write each value out in full",
            ]),
        GoldenCase(
            rule: "merge keys",
            yaml: telemetry(replacingLine: 7, with: "      size: 2MiB\n      <<: {prot: rw}"),
            expected: [
                "m.yaml:8:7: error: merge keys ('<<') are not allowed in manifests; write the keys out in full"
            ]),
        GoldenCase(
            rule: "non-ASCII text in a comment is fine",
            yaml: "version: 1\nregions: [] # caf\u{E9}\n",
            expected: []),
    ]

    static let numbers: [GoldenCase] = [
        GoldenCase(
            rule: "misaligned begin suggests both neighbours",
            yaml: telemetry(replacingLine: 6, with: "      begin: 0x7fe00100"),
            expected: [
                "m.yaml:6:14: error: begin 0x7fe00100 is not a multiple of the 4 KiB page size; write 0x7fe00000 or "
                    + "0x7fe01000"
            ]),
        GoldenCase(
            rule: "misaligned size suggests sizes in units",
            yaml: telemetry(replacingLine: 7, with: "      size: 6KiB"),
            expected: [
                "m.yaml:7:13: error: size 0x1800 is not a multiple of the 4 KiB page size; write 4KiB or 8KiB"
            ]),
        GoldenCase(
            rule: "misaligned offset",
            yaml: telemetry(replacingLine: 11, with: "        offset: 0x800"),
            expected: [
                "m.yaml:11:17: error: offset 0x800 is not a multiple of the 4 KiB page size; write 0x0 or 0x1000"
            ]),
        GoldenCase(
            rule: "zero size",
            yaml: telemetry(replacingLine: 7, with: "      size: 0"),
            expected: ["m.yaml:7:13: error: size cannot be zero; write at least 4KiB (one page)"]),
        GoldenCase(
            rule: "negative size",
            yaml: telemetry(replacingLine: 7, with: "      size: -2MiB"),
            expected: [
                "m.yaml:7:13: error: a size cannot be negative, found '-2MiB'; write a size such as 2MiB or 0x200000"
            ]),
        GoldenCase(
            rule: "negative address",
            yaml: telemetry(replacingLine: 10, with: "        begin: -0x1000"),
            expected: [
                "m.yaml:10:16: error: an address cannot be negative, found '-0x1000'; write an address such as "
                    + "0x7fe00000"
            ]),
        GoldenCase(
            rule: "a number beyond 64 bits",
            yaml: telemetry(replacingLine: 6, with: "      begin: 0x10000000000000000"),
            expected: [
                "m.yaml:6:14: error: '0x10000000000000000' does not fit in 64 bits; write at most 0xffffffffffffffff"
            ]),
        GoldenCase(
            rule: "a unit that overflows",
            yaml: telemetry(replacingLine: 7, with: "      size: 99999999999GiB"),
            expected: ["m.yaml:7:13: error: '99999999999GiB' does not fit in 64 bits; write at most 0xffffffffffffffff"]
        ),
        GoldenCase(
            rule: "begin + size beyond 64 bits",
            yaml: telemetry(replacingLine: 6, with: "      begin: 0xffffffffffe00000"),
            expected: [
                "m.yaml:6:14: error: the owner's range 0xffffffffffe00000 + 0x200000 does not fit in 64 bits; write a "
                    + "begin of at most 0xffffffffffdff000"
            ]),
        GoldenCase(
            rule: "borrower begin + size beyond 64 bits",
            yaml: telemetry(replacingLine: 10, with: "        begin: 0xfffffffffff00000"),
            expected: [
                "m.yaml:10:16: error: the borrower's range 0xfffffffffff00000 + 0x100000 does not fit in 64 bits; "
                    + "write a begin of at most 0xffffffffffeff000"
            ]),
        GoldenCase(
            rule: "a leading zero is neither octal nor decimal",
            yaml: telemetry(replacingLine: 7, with: "      size: 010"),
            expected: [
                "m.yaml:7:13: error: number '010' has a leading zero, which YAML 1.1 tools read as octal; write 10 "
                    + "for decimal, or 0x8 for octal 010"
            ]),
        GoldenCase(
            rule: "an SI unit",
            yaml: telemetry(replacingLine: 7, with: "      size: 2MB"),
            expected: [
                "m.yaml:7:13: error: unknown unit 'MB' in '2MB'; write 2MiB (units are KiB, MiB, GiB, and p for "
                    + "4 KiB pages)"
            ]),
        GoldenCase(
            rule: "YAML 1.1 base 60 stays text",
            yaml: telemetry(replacingLine: 7, with: "      size: 1:30"),
            expected: ["m.yaml:7:13: error: expected a size such as 2MiB or 0x200000, found '1:30'"]),
        GoldenCase(
            rule: "pages and units are sizes",
            yaml: telemetry(replacingLine: 11, with: "        size: 256p"),
            expected: []),
    ]

    static let regionRules: [GoldenCase] = [
        GoldenCase(
            rule: "offset outside the owner",
            yaml: telemetry(replacingLine: 11, with: "        offset: 2MiB"),
            expected: [
                "m.yaml:11:17: error: offset 0x200000 is outside the owner's 0x200000 bytes; write an offset below "
                    + "0x200000"
            ]),
        GoldenCase(
            rule: "offset + size beyond the owner",
            yaml: telemetry(replacingLine: 11, with: "        offset: 0x180000\n        size: 1MiB"),
            expected: [
                "m.yaml:12:15: error: offset 0x180000 + size 0x100000 reaches past the end of the owner's 0x200000 "
                    + "bytes; write a size of at most 512KiB"
            ]),
        GoldenCase(
            rule: "borrower prot wider than the owner's",
            yaml: telemetry(replacingLine: 7, with: "      size: 2MiB\n      prot: ro")
                .replacingOccurrences(of: "        size: 1MiB", with: "        prot: rw"),
            expected: [
                "m.yaml:8:13: warning: 'prot: ro' is recorded for the guests, but Xen maps the pages writable anyway "
                    + "(it cannot enforce read-only); rely on the guests to honour it",
                "m.yaml:12:15: error: a borrower cannot have 'prot: rw' when the owner grants only 'ro'; write "
                    + "'prot: ro' or raise the owner's prot",
            ]),
        GoldenCase(
            rule: "owner and borrower by the same name",
            yaml: telemetry(replacingLine: 9, with: "      - domain: sensor-vm"),
            expected: [
                "m.yaml:9:17: error: sensor-vm owns region 'telemetry' and cannot also borrow it; remove this borrower",
                "m.yaml:5:15: note: sensor-vm is the owner here",
            ]),
        GoldenCase(
            rule: "owner and borrower by the same domid",
            yaml: telemetry(replacingLine: 5, with: "      domain: 0")
                .replacingOccurrences(of: "domain: logger-vm", with: "domain: Domain-0"),
            expected: [
                "m.yaml:9:17: error: Domain-0 owns region 'telemetry' and cannot also borrow it; remove this borrower",
                "m.yaml:5:15: note: domid 0 is the owner here",
            ]),
        GoldenCase(
            rule: "the same borrower twice",
            yaml: telemetry(
                replacingLine: 11, with: "        size: 1MiB\n      - domain: logger-vm\n        begin: 0x2000000000"),
            expected: [
                "m.yaml:12:17: error: logger-vm borrows region 'telemetry' twice; merge the two entries into one",
                "m.yaml:9:17: note: logger-vm first borrows 'telemetry' here",
            ]),
        GoldenCase(
            rule: "x86_normal on Arm",
            yaml: telemetry(replacingLine: 7, with: "      size: 2MiB\n      cache_policy: x86_normal"),
            expected: [
                "m.yaml:8:21: error: cache_policy x86_normal is not allowed on arm64, where guests share memory only "
                    + "as Normal write-back; write ARM_normal"
            ],
            arch: .arm64),
        GoldenCase(
            rule: "ARM_normal on x86 is recorded",
            yaml: telemetry(replacingLine: 7, with: "      size: 2MiB\n      cache_policy: ARM_normal"),
            expected: []),
        GoldenCase(
            rule: "a cache policy near miss",
            yaml: telemetry(replacingLine: 7, with: "      size: 2MiB\n      cache_policy: arm_normal"),
            expected: [
                "m.yaml:8:21: error: expected ARM_normal or x86_normal, found 'arm_normal'; did you mean 'ARM_normal'?"
            ]),
        GoldenCase(
            rule: "cache_policy belongs to the owner",
            yaml: telemetry(replacingLine: 11, with: "        cache_policy: ARM_normal"),
            expected: ["m.yaml:11:9: error: 'cache_policy' applies to the owner only; move it to the owner"]),
        GoldenCase(
            rule: "offset belongs to borrowers",
            yaml: telemetry(replacingLine: 7, with: "      size: 2MiB\n      offset: 0"),
            expected: [
                "m.yaml:8:7: error: 'offset' applies to borrowers only; remove it from the owner, whose region starts "
                    + "at its 'begin'"
            ]),
        GoldenCase(
            rule: "prot ro is only recorded",
            yaml: telemetry(replacingLine: 11, with: "        prot: ro"),
            expected: [
                "m.yaml:11:15: warning: 'prot: ro' is recorded for the guests, but Xen maps the pages writable "
                    + "anyway (it cannot enforce read-only); rely on the guests to honour it"
            ]),
        GoldenCase(
            rule: "a YAML 1.1 boolean is not a prot",
            yaml: telemetry(replacingLine: 11, with: "        prot: yes"),
            expected: ["m.yaml:11:15: error: expected 'rw' or 'ro', found 'yes'"]),
        GoldenCase(
            rule: "ids longer than a device tree takes",
            yaml: telemetry(replacingLine: 3, with: "  - id: telemetry-ring-buffer"),
            expected: [
                "m.yaml:3:9: warning: region id 'telemetry-ring-buffer' is longer than 15 characters, the limit of "
                    + "device trees (dom0less xen,shm-id, export --format dts); shorten it if a device tree must describe it"
            ]),
        GoldenCase(
            rule: "ids outside the grammar",
            yaml: telemetry(replacingLine: 3, with: "  - id: tele.metry"),
            expected: [
                "m.yaml:3:9: error: region id 'tele.metry' may contain only letters, digits, '_' and '-'; write "
                    + "'tele_metry'"
            ]),
        GoldenCase(
            rule: "ids longer than 128 characters",
            yaml: telemetry(replacingLine: 3, with: "  - id: " + String(repeating: "a", count: 129)),
            expected: [
                "m.yaml:3:9: error: region id '" + String(repeating: "a", count: 40)
                    + "…' is longer than 128 characters; shorten it"
            ]),
        GoldenCase(
            rule: "deprecated aliases",
            yaml: telemetry(replacingLine: 4, with: "    master:")
                .replacingOccurrences(of: "    borrowers:", with: "    slaves:"),
            expected: [
                "m.yaml:4:5: warning: 'master' is a deprecated alias; write 'owner'",
                "m.yaml:8:5: warning: 'slaves' is a deprecated alias; write 'borrowers'",
            ]),
        GoldenCase(
            rule: "a key and its alias",
            yaml: telemetry(
                replacingLine: 8, with: "    master: {domain: web, begin: 0x1000, size: 4KiB}\n    borrowers:"),
            expected: [
                "m.yaml:8:5: warning: 'master' is a deprecated alias; write 'owner'",
                "m.yaml:8:5: error: 'owner' and its deprecated alias 'master' both appear; keep only 'owner'",
            ]),
        GoldenCase(
            rule: "domid with a leading zero",
            yaml: telemetry(replacingLine: 9, with: "      - domain: 010"),
            expected: ["m.yaml:9:17: error: domid '010' has a leading zero; write 10"]),
        GoldenCase(
            rule: "reserved domid",
            yaml: telemetry(replacingLine: 9, with: "      - domain: 32752"),
            expected: [
                "m.yaml:9:17: error: domid '32752' is reserved for Xen (32752 and above); write a domid below 32752 or "
                    + "the domain's name"
            ]),
        GoldenCase(
            rule: "a domain name with spaces",
            yaml: telemetry(replacingLine: 9, with: "      - domain: logger vm"),
            expected: [
                "m.yaml:9:17: error: 'logger vm' is not a domain name; write a name of letters, digits, '.', '_' and "
                    + "'-' (at most 64, not starting with '-' or '.') or a domid"
            ]),
    ]

    /// YAML mistakes in our words (libyaml's own text would be "found character that cannot start any token" or
    /// "did not find expected key"), and byte-order marks inside the text.
    static let yamlMistakes: [GoldenCase] = [
        GoldenCase(
            rule: "a tab before the first key of a mapping",
            yaml: telemetry(replacingLine: 5, with: "\tdomain: sensor-vm"),
            expected: ["m.yaml:5:1: error: a tab cannot indent YAML; indent with spaces"]),
        GoldenCase(
            rule: "a key indented deeper than its siblings",
            yaml: telemetry(replacingLine: 7, with: "        size: 2MiB"),
            expected: [
                "m.yaml:7:13: error: this key is indented deeper than the key above it, so YAML reads it as part of "
                    + "that key's value; line it up with the keys above"
            ]),
        GoldenCase(
            rule: "a key indented less than its siblings",
            yaml: telemetry(replacingLine: 7, with: "     size: 2MiB"),
            expected: [
                "m.yaml:7:6: error: this line is indented less than the keys above it but more than their parent; "
                    + "line it up with the keys it belongs with"
            ]),
        GoldenCase(
            rule: "an unquoted ': ' inside a value",
            yaml: telemetry(replacingLine: 5, with: "      domain: sensor: vm"),
            expected: [
                "m.yaml:5:21: error: an unquoted ': ' inside a value starts a new key; quote the whole value, as in "
                    + "'key: \"a: b\"'"
            ]),
        GoldenCase(
            rule: "a list item without its '-'",
            yaml: telemetry(replacingLine: 11, with: "        size: 1MiB\n      domain: camera-vm\n        begin: 0x0"),
            expected: [
                "m.yaml:12:7: error: this line lines up with the items of the list that starts at line 9, column 7 "
                    + "but has no '-'; start a new item with '- ' or indent it under the item above"
            ]),
        GoldenCase(
            rule: "a byte-order mark inside an id",
            yaml: telemetry(replacingLine: 3, with: "  - id: \u{FEFF}telemetry"),
            expected: [
                "m.yaml:3:9: error: a byte-order mark (U+FEFF, invisible in most editors) may only open the file; "
                    + "delete this one"
            ]),
        GoldenCase(
            rule: "a byte-order mark after a domain name",
            yaml: telemetry(replacingLine: 9, with: "      - domain: logger-vm\u{FEFF}"),
            expected: [
                "m.yaml:9:26: error: a byte-order mark (U+FEFF, invisible in most editors) may only open the file; "
                    + "delete this one"
            ]),
        GoldenCase(
            rule: "a byte-order mark at the start of a later line",
            yaml: "version: 1\n\u{FEFF}regions: []\n",
            expected: [
                "m.yaml:2:1: error: a byte-order mark (U+FEFF, invisible in most editors) may only open the file; "
                    + "delete this one"
            ]),
    ]

    @Test(arguments: structure + numbers + regionRules + yamlMistakes)
    func ruleRendersItsDiagnostics(_ golden: GoldenCase) {
        #expect(rendered(golden.yaml, arch: golden.arch) == golden.expected)
    }
}
