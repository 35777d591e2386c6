import SSHMCore
import Testing

/// The decoder's side of the fixtures `scripts/check-manifests` also runs through the JSON Schema.
@Suite struct SchemaAgreementFixtureTests {
    static let valid = Fixtures.names(in: "schema-agreement/valid")
    static let invalid = Fixtures.names(in: "schema-agreement/invalid")

    @Test func thereAreFixturesOfBothKinds() {
        #expect(Self.valid.count >= 5)
        #expect(Self.invalid.count >= 20)
    }

    @Test(arguments: valid)
    func aValidFixtureHasNoError(_ name: String) throws {
        let state = validate([(name, try Fixtures.text("schema-agreement/valid", name))])
        #expect(!state.hasErrors, "\(state.diagnostics.map(\.description))")
    }

    @Test(arguments: invalid)
    func anInvalidFixtureFreezes(_ name: String) throws {
        let state = validate([(name, try Fixtures.text("schema-agreement/invalid", name))])
        #expect(state.frozenSources == [name])
    }
}
