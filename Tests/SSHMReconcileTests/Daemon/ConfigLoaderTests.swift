import Dispatch
import SSHMCore
import SSHMReconcile
import Synchronization
import Testing

/// The daemon reads its config directory off its loop: a slow file must not hold up the passes.
@Suite("ConfigLoader")
struct ConfigLoaderTests {
    /// A load that waits to be let go, numbering its results by their directory diagnostics.
    private final class Loads: Sendable {
        private let gate = DispatchSemaphore(value: 0)
        private let count = Atomic<Int>(0)
        let finished = DispatchSemaphore(value: 0)

        var started: Int { count.load(ordering: .relaxed) }

        func load() -> DesiredState {
            let number = count.add(1, ordering: .relaxed).newValue
            gate.wait()
            return DesiredState(files: [], directoryDiagnostics: [Diagnostic(.note, "load \(number)", file: nil)])
        }

        func letOneGo() { gate.signal() }

        /// Waits for a `loaded` call, failing after a bound instead of hanging.
        func waitForLoaded() -> Bool { finished.wait(timeout: .now() + .seconds(10)) == .success }
    }

    private static func number(of state: DesiredState?) -> String? { state?.directoryDiagnostics.first?.message }

    @Test func aRequestReturnsAtOnceAndTheLoadIsTakenWhenItIsDone() {
        let loads = Loads()
        let loader = ConfigLoader(load: loads.load) { loads.finished.signal() }
        loader.request()
        #expect(loader.take() == nil, "nothing loaded while the load runs")
        loads.letOneGo()
        #expect(loads.waitForLoaded())
        #expect(Self.number(of: loader.take()) == "load 1")
        #expect(loader.take() == nil, "a load is taken once")
    }

    /// The files may have changed after the running load read them: requests meanwhile make one more load, not one
    /// each.
    @Test func requestsDuringALoadMakeOneMoreLoad() {
        let loads = Loads()
        let loader = ConfigLoader(load: loads.load) { loads.finished.signal() }
        loader.request()
        loader.request()
        loader.request()
        loads.letOneGo()
        #expect(loads.waitForLoaded())
        loads.letOneGo()
        #expect(loads.waitForLoaded())
        #expect(loads.started == 2)
        #expect(Self.number(of: loader.take()) == "load 2")
        loader.request()
        loads.letOneGo()
        #expect(loads.waitForLoaded())
        #expect(loads.started == 3)
    }
}
