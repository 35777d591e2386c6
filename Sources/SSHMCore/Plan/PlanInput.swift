/// Choices that change what the planner does.
package struct PlanOptions: Hashable, Sendable {
    /// Spelling of new records (existing records keep theirs).
    package var dialect: RecordDialect
    /// Take over records without `manager` whose id a manifest declares.
    package var adopt: Bool
    /// Allow pruning when the config dir declares no region at all.
    package var allowEmpty: Bool
    /// The config dir: a managed record whose source lies elsewhere is never pruned as "deleted".
    package var configDirectory: String?
    /// Part of a terminal failure's fingerprint: a different map space is a different input.
    package var mapSpace: String

    package init(
        dialect: RecordDialect = .masterSlave, adopt: Bool = false, allowEmpty: Bool = false,
        configDirectory: String? = nil, mapSpace: String = "share"
    ) {
        self.dialect = dialect
        self.adopt = adopt
        self.allowEmpty = allowEmpty
        self.configDirectory = configDirectory
        self.mapSpace = mapSpace
    }
}

/// Everything one plan is computed from. All values: planning does no I/O.
package struct PlanInput: Hashable, Sendable {
    package var desired: DesiredState
    package var actual: ActualState
    package var domains: DomainTable
    /// Conditions of the last pass: terminal failures are not retried while their input is unchanged.
    package var previous: [RegionID: RegionCondition]
    package var options: PlanOptions
    /// Plan only these regions (`nil`: all). A daemon that knows what changed since its last full plan passes the
    /// regions the change can affect; the plan of every other region is still empty.
    package var scope: Set<RegionID>?

    package init(
        desired: DesiredState, actual: ActualState, domains: DomainTable,
        previous: [RegionID: RegionCondition] = [:], options: PlanOptions = PlanOptions(), scope: Set<RegionID>? = nil
    ) {
        self.desired = desired
        self.actual = actual
        self.domains = domains
        self.previous = previous
        self.options = options
        self.scope = scope
    }
}
