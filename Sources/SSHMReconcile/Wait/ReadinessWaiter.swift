import Logging
import SSHMCore
import Synchronization

/// Waits for ``Readiness`` to decide a request: woken by xenstore watches on the records and guest views in scope
/// (and on domains coming and going), and by inotify on the state dir, where a pass writes `Failed`. Reads, never
/// writes, and takes no lock: it runs beside the daemon or after `--once`.
package struct ReadinessWaiter: Sendable {
    package let store: any XenStore
    package let hypervisor: any Hypervisor
    package let blocking: BlockingExecutor
    package let stateDirectory: String
    package let logger: Logger
    /// What the records and views are read with (``RecordReader`` bounds every value).
    private var records: RecordReader { RecordReader(store: store, logger: logger) }

    package init(
        store: any XenStore, hypervisor: any Hypervisor, blocking: BlockingExecutor, stateDirectory: String,
        logger: Logger
    ) {
        self.store = store
        self.hypervisor = hypervisor
        self.blocking = blocking
        self.stateDirectory = stateDirectory
        self.logger = logger
    }

    /// The watch token of every watch a wait sets.
    static let token = "sshm-wait"

    /// Waits until the verdict is anything but `waiting`, or `timeout` passes (then returns the last `waiting` one,
    /// naming what is missing). Removes its watches before it returns.
    package func wait(
        _ request: ReadinessRequest, desired: DesiredState, timeout: Duration
    ) async throws -> ReadinessVerdict {
        let watches = Watches()
        let result: Result<ReadinessVerdict, any Error>
        do {
            result = .success(try await wait(request, desired: desired, timeout: timeout, watches: watches))
        } catch {
            result = .failure(error)
        }
        try? await blocking.run { [store] in
            for path in watches.armed.withLock({ $0 }) { try? store.unwatch(path, token: Self.token) }
        }
        return try result.get()
    }

    private func wait(
        _ request: ReadinessRequest, desired: DesiredState, timeout: Duration, watches: Watches
    ) async throws -> ReadinessVerdict {
        let deadline = ContinuousClock.now + timeout
        let signals = WaitSignals()
        var wakeups = signals.stream.makeAsyncIterator()
        let conditionsStore = ConditionStore(directory: stateDirectory)
        // inotify first, then the conditions file: a pass that writes in between is not missed.
        let watcher = startWatcher(signals)
        defer { watcher?.stop() }
        let store = store
        let pump = Task { for await event in store.watchEvents { signals.post(domains: event.path.hasPrefix("@")) } }
        let timer = Task {
            try await Task.sleep(until: deadline, clock: .continuous)
            signals.post(timedOut: true)
        }
        defer {
            pump.cancel()
            timer.cancel()
        }

        // Every watch is armed before what it covers is read: a change in between wakes the loop again.
        try await arm(["@introduceDomain", "@releaseDomain"], watches)
        var domains = try await blocking.run { [hypervisor, store] in
            try DomainDirectory.read(hypervisor: hypervisor, store: store)
        }
        var conditions = conditionsStore.load().mapValues(\.condition)
        let frozen = try await frozenRecords(desired)
        while true {
            let scope = Readiness.scope(request, desired: desired, domains: domains, records: frozen)
            try await arm(Self.paths(scope) + Self.doorbellPaths(request, scope, desired, domains), watches)
            var observation = try await observe(scope, domains: domains, conditions: conditions)
            observation.records.merge(frozen) { read, _ in read }
            if request.doorbell { observation.doorbells = try await doorbells(scope, desired, domains) }
            let verdict = Readiness.verdict(request, desired: desired, observation: observation)
            logger.debug("wait: \(verdict.outcome)", metadata: ["messages": "\(verdict.messages)"])
            guard verdict.outcome == .waiting else { return verdict }
            let woken = await wakeups.next().map { _ in signals.take() } ?? WaitSignals.Pending(timedOut: true)
            if woken.timedOut || ContinuousClock.now >= deadline { return verdict }
            if woken.domains {
                domains = try await blocking.run { [hypervisor, store, domains] in
                    try DomainDirectory.read(hypervisor: hypervisor, store: store, known: domains)
                }
            }
            if woken.conditions { conditions = conditionsStore.load().mapValues(\.condition) }
        }
    }

    /// The records to watch and the parts' view directories (their `state` nodes change below them).
    static func paths(_ scope: Readiness.Scope) -> [XenStorePath] {
        scope.regions.sorted().map { XenStorePath(RecordPaths.record($0)) }
            + scope.parts.map { XenStorePath(RecordPaths.roleDirectory(domid: $0.domain.domid, id: $0.region)) }
    }

    /// With `--doorbell`, the peers' `port` nodes (a part's own are below its view directory): an owner's doorbell
    /// connects when its borrower writes its port, in the borrower's view.
    static func doorbellPaths(
        _ request: ReadinessRequest, _ scope: Readiness.Scope, _ desired: DesiredState, _ domains: DomainTable
    ) -> [XenStorePath] {
        guard request.doorbell else { return [] }
        return scope.parts.flatMap { part -> [XenStorePath] in
            guard part.role == .owner else { return [] }
            return Readiness.doorbellPeers(part, desired: desired, domains: domains).map {
                XenStorePath(DoorbellTree.port(part.region, of: $0, peer: part.domain.domid))
            }
        }
    }

    /// The doorbells of the regions in scope, read and judged, never repaired.
    private func doorbells(
        _ scope: Readiness.Scope, _ desired: DesiredState, _ domains: DomainTable
    ) async throws -> [RegionID: [DomID: DoorbellState]] {
        let regions = Set(scope.parts.map(\.region))
        let found = try await blocking.run { [store, hypervisor, logger] in
            try DoorbellStep(store: store, eventChannels: hypervisor, logger: logger)
                .run(regions, desired: desired, domains: domains, repair: false)
        }
        return found.mapValues(\.pairs)
    }

    /// `/local/domain/<domid>/static_shm/<id>/state`.
    static func viewState(_ node: RoleNode) -> XenStorePath {
        XenStorePath(RecordPaths.roleDirectory(domid: node.domid, id: node.id)).appending("state")
    }

    /// Watches `paths` not watched yet.
    private func arm(_ paths: [XenStorePath], _ watches: Watches) async throws {
        let new = watches.armed.withLock { armed in paths.filter { !armed.contains($0) } }
        guard !new.isEmpty else { return }
        try await blocking.run { [store] in
            for path in new {
                try store.watch(path, token: Self.token)
                watches.armed.withLock { _ = $0.insert(path) }
            }
        }
    }

    /// The records and view states of `scope`, in two batches.
    private func observe(
        _ scope: Readiness.Scope, domains: DomainTable, conditions: [RegionID: RegionCondition]
    ) async throws -> ReadinessObservation {
        let views = scope.parts.map(\.view)
        let (records, states) = try await blocking.run { [records, store] in
            let read = try records.readRecords(scope.regions.sorted()).records
            let answers = try store.readMany(views.map { .read(Self.viewState($0)) })
            return (read, answers.map(\.value))
        }
        var observation = ReadinessObservation(
            domains: domains, records: records, conditions: conditions,
            mapSpaces: MapSpaceSetting.allCases.map(\.rawValue))
        for (node, state) in zip(views, states) { observation.views[node] = state }
        return observation
    }

    /// The managed records of regions no valid manifest declares, when some manifest is invalid: the regions it
    /// declared are Frozen, and only their records say which domains they hold.
    private func frozenRecords(_ desired: DesiredState) async throws -> [RegionID: RegionRecord] {
        guard !desired.frozenSources.isEmpty else { return [:] }
        return try await blocking.run { [records] in
            let ids = try records.readIndex().filter { desired.regionsByID[$0] == nil }
            return try records.readRecords(ids.sorted()).records
        }
    }

    /// inotify on the state dir. Without it (no state dir yet) a `Failed` written by a pass is seen at the next
    /// xenstore event, or the wait times out: said once in the log.
    private func startWatcher(_ signals: WaitSignals) -> ConfigWatcher? {
        do {
            return try ConfigWatcher(directory: stateDirectory, onChange: { signals.post(conditions: true) })
        } catch {
            logger.warning(
                "cannot watch the state dir for Failed regions; a failure is seen only with the next xenstore change",
                metadata: ["error": "\(error)"])
            return nil
        }
    }
}

/// The paths a wait watches, to remove them when it ends.
final class Watches: Sendable {
    let armed = Mutex<Set<XenStorePath>>([])
}

/// What woke a wait, merged: bursts of events become one look.
final class WaitSignals: Sendable {
    struct Pending: Sendable {
        var domains = false
        var conditions = false
        var timedOut = false
    }

    private let pending = Mutex(Pending())
    let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func post(domains: Bool = false, conditions: Bool = false, timedOut: Bool = false) {
        pending.withLock {
            $0.domains = $0.domains || domains
            $0.conditions = $0.conditions || conditions
            $0.timedOut = $0.timedOut || timedOut
        }
        continuation.yield()
    }

    /// What was posted since the last take.
    func take() -> Pending {
        pending.withLock { pending in
            defer { pending = Pending() }
            return pending
        }
    }
}
