import SSHMCore
import Testing

@Suite struct NumberGrammarTests {
    static let accepted: [(String, UInt64)] = [
        ("4096", 4096), ("0", 0), ("0x1000", 0x1000), ("0x7FE00000", 0x7fe0_0000), ("0x0000000000001000", 0x1000),
        ("4KiB", 4096), ("2MiB", 2 << 20), ("1GiB", 1 << 30), ("512p", 512 * 4096), ("0p", 0),
        ("0xffffffffffffffff", UInt64.max), ("18446744073709551615", UInt64.max), ("16777215GiB", 16_777_215 << 30),
    ]

    static let refused: [(String, NumberGrammar.Problem)] = [
        ("", .empty), ("-1", .negative), ("-0x1000", .negative), ("010", .leadingZero),
        ("00", .leadingZero), ("08MiB", .leadingZero), ("0x", .malformed), ("0X1000", .malformed),
        ("0x12g", .malformed),
        ("1:30", .malformed), ("1.5MiB", .malformed), ("two", .malformed), ("+4096", .malformed), ("4 KiB", .malformed),
        ("0x10000000000000000", .tooLarge), ("18446744073709551616", .tooLarge), ("17179869184GiB", .tooLarge),
        ("2MB", .unknownUnit("MB")), ("2M", .unknownUnit("M")), ("4kib", .unknownUnit("kib")),
        ("1e3", .malformed), ("yes", .malformed),
    ]

    @Test(arguments: accepted)
    func acceptsOurGrammar(_ text: String, _ value: UInt64) {
        #expect(NumberGrammar.parse(text) == .success(value))
    }

    @Test(arguments: refused)
    func refusesEverythingElse(_ text: String, _ problem: NumberGrammar.Problem) {
        #expect(NumberGrammar.parse(text) == .failure(problem))
    }

    @Test func suggestsTheBinaryUnitForAnSIOne() {
        #expect(NumberGrammar.likelyUnit(for: "MB") == "MiB")
        #expect(NumberGrammar.likelyUnit(for: "kb") == "KiB")
        #expect(NumberGrammar.likelyUnit(for: "G") == "GiB")
        #expect(NumberGrammar.likelyUnit(for: "x") == nil)
    }

    @Test func formatsSizesInTheLargestExactUnit() {
        #expect(NumberFormat.size(2 << 20) == "2MiB")
        #expect(NumberFormat.size(3 << 30) == "3GiB")
        #expect(NumberFormat.size(12 << 10) == "12KiB")
        #expect(NumberFormat.size(0x1801) == "0x1801")
        #expect(NumberFormat.range(begin: 0x1000, size: 0x1000) == "0x1000-0x1fff")
    }
}

@Suite struct DomainGrammarTests {
    static let domains: [(String, DomainRef)] = [
        ("0", .id(.dom0)), ("5", .id(DomID(unchecked: 5))), ("32751", .id(DomID(unchecked: 32751))),
        ("sensor-vm", .name("sensor-vm")), ("Domain-0", .name("Domain-0")), ("vm_1.example", .name("vm_1.example")),
        ("5vm", .name("5vm")),
    ]

    static let badDomains: [(String, DomainGrammar.Problem)] = [
        ("", .empty), ("007", .leadingZero), ("32752", .reserved), ("99999999", .reserved),
        ("vm 1", .badName), ("-vm", .badName), (".vm", .badName), ("vm/1", .badName),
        (String(repeating: "v", count: 65), .badName),
    ]

    @Test(arguments: domains)
    func readsDomidsAndNames(_ text: String, _ domain: DomainRef) {
        #expect(DomainGrammar.parse(text) == .success(domain))
    }

    @Test(arguments: badDomains)
    func refusesAmbiguousDomains(_ text: String, _ problem: DomainGrammar.Problem) {
        #expect(DomainGrammar.parse(text) == .failure(problem))
    }

    @Test func domainZeroIsDomidZero() {
        #expect(DomainRef.name("Domain-0").canonical == .id(.dom0))
        #expect(DomainRef.name("domain-0").canonical == .name("domain-0"))
    }
}

@Suite struct MessageTextTests {
    @Test func quotesAreShortAndEscaped() {
        #expect(MessageText.quote("a\tb\u{0}") == "'a\\tb\\u{0}'")
        let long = String(repeating: "x", count: 100)
        #expect(MessageText.quote(long) == "'" + String(repeating: "x", count: 40) + "…'")
    }

    @Test func listsAndCountsReadAsEnglish() {
        #expect(MessageText.list(["a", "b", "c"]) == "a, b and c")
        #expect(MessageText.list(["a", "b"], conjunction: "or") == "a or b")
        #expect(MessageText.count(1, "warning") == "1 warning")
        #expect(MessageText.count(0, "warning") == "0 warnings")
    }

    static let typos: [(String, String)] = [
        ("sizee", "size"), ("Size", "size"), ("begn", "begin"), ("cache-policy", "cache_policy"), ("domian", "domain"),
        ("borowers", "borrowers"),
    ]

    @Test(arguments: typos)
    func nearMissesFindTheIntendedKey(_ typo: String, _ intended: String) {
        let keys = ["domain", "begin", "size", "prot", "cache_policy", "borrowers"]
        #expect(NearMiss.suggestion(for: typo, among: keys) == intended)
    }

    @Test func unrelatedWordsGetNoSuggestion() {
        #expect(NearMiss.suggestion(for: "colour", among: ["domain", "begin", "size"]) == nil)
    }
}
