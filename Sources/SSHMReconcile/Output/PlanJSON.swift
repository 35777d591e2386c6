import SSHMCore

/// `plan --json` (schema: `docs/plan.schema.json`): every action with its kind, region, domain, addresses, sizes and
/// page counts as numbers, the counts by kind, and the condition each region reaches once the plan has run.
package enum PlanJSON {
    struct Document: Encodable {
        var formatVersion = JSONOutput.formatVersion
        var actions: [ActionItem]
        var summary: [String: Int]
        var regions: [RegionOutlook]
        var notes: [String]
    }

    struct ActionItem: Encodable {
        /// `map`, `unmap`, `remap`, `repair`, `gc`, `prune`.
        var kind: String
        var region: String
        /// `owner`, `borrower`, or `record` for the record itself (index, `usercnt`, removal).
        var role: String
        @NullWhenAbsent var domain: JSONDomain?
        /// Guest-physical address in bytes of the range mapped, unmapped or recorded.
        @NullWhenAbsent var begin: UInt64?
        @NullWhenAbsent var size: UInt64?
        @NullWhenAbsent var pages: UInt64?
        /// For a borrower mapped: the owner, and where in the owner's memory its range starts.
        @NullWhenAbsent var owner: JSONDomain?
        @NullWhenAbsent var ownerBegin: UInt64?
        @NullWhenAbsent var offset: UInt64?
        @NullWhenAbsent var prot: String?
        /// The line `plan` prints, for people.
        var text: String
    }

    struct RegionOutlook: Encodable {
        var id: String
        var condition: String
        var reason: String
        var message: String
    }

    package static func render(_ plan: Plan, domains: DomainTable) throws -> String {
        let counts = plan.counts
        return try JSONOutput.render(
            Document(
                actions: plan.actions.map { item($0, domains: domains) },
                summary: Dictionary(
                    uniqueKeysWithValues: Action.Kind.allCases.map { ($0.rawValue, counts[$0, default: 0]) }),
                regions: plan.outlook.sorted { $0.key < $1.key }.map {
                    RegionOutlook(
                        id: $0.key.rawValue, condition: $0.value.kind.rawValue, reason: $0.value.reason.rawValue,
                        message: $0.value.message)
                },
                notes: plan.notes))
    }

    /// The action's structured fields, from the step that carries its substance (the map of a remap, not its unmap).
    static func item(_ action: Action, domains: DomainTable) -> ActionItem {
        var item = ActionItem(
            kind: action.kind.rawValue, region: action.region.rawValue, role: "record", domain: nil, begin: nil,
            size: nil, pages: nil, owner: nil, ownerBegin: nil, offset: nil, prot: nil, text: action.line)
        func domain(_ domid: DomID) -> JSONDomain {
            JSONDomain(domid: domid.rawValue, name: domains.domain(domid)?.name)
        }
        for step in action.steps {
            switch step {
            case .map(let target), .rewriteBorrower(let target):
                item.role = "borrower"
                item.domain = JSONDomain(domid: target.domain.domid.rawValue, name: target.domain.name)
                item.begin = target.begin.rawValue
                item.size = target.size.rawValue
                item.pages = target.size.pages
                item.owner = domain(target.owner)
                item.ownerBegin = target.ownerFirstGFN << Page.shift
                item.offset = target.offset.rawValue
                item.prot = target.prot.rawValue
                return item
            case .writeOwner(let target):
                item.role = "owner"
                item.domain = JSONDomain(domid: target.domain.domid.rawValue, name: target.domain.name)
                item.begin = target.begin.rawValue
                item.size = target.size.rawValue
                item.pages = target.size.pages
                item.prot = target.prot.rawValue
                return item
            case .unmap(let target) where item.domain == nil && action.kind != .prune:
                item.role = "borrower"
                item.domain = domain(target.domid)
                item.begin = target.frames.lowerBound << Page.shift
                item.pages = UInt64(target.frames.count)
                item.size = UInt64(target.frames.count) << Page.shift
            case .forget(let domid) where item.domain == nil && action.kind != .prune:
                item.role = "borrower"
                item.domain = domain(domid)
            case .writeView(let view):
                let role = view.leaves.first { $0.name == "role" }.flatMap { RecordDialect.role(from: $0.value) }
                item.role = (role ?? .borrower).rawValue
                item.domain = domain(view.domid)
            case .removeRecord(let owner):
                item.domain = owner.map(domain)
            default:
                continue
            }
        }
        return item
    }
}
