import Dispatch
import SSHMCore
import Synchronization

/// Reads and checks the config directory off the daemon's loop, on a queue of its own: checking one file may take up
/// to its bound (``ManifestSet/checkTimeLimit``, 2 s of CPU), and the regions of every other file must be served
/// meanwhile (a borrower introduced while a slow file is checked is mapped at once, by the state loaded before).
///
/// One load runs at a time. A request while one runs makes one more after it, since the files may have changed after
/// it read them; requests meanwhile merge into that one. Each finished load is handed over by ``take()`` after
/// `loaded` told the loop.
package final class ConfigLoader: Sendable {
    private struct State {
        var running = false
        var again = false
        var loaded: DesiredState?
    }

    private let load: @Sendable () -> DesiredState
    private let loaded: @Sendable () -> Void
    private let queue = DispatchQueue(label: "sshm-reconcile.config", qos: .utility)
    private let state = Mutex(State())

    /// - Parameters:
    ///   - load: reads and validates the config directory.
    ///   - loaded: called after each load finished (from the loader's queue); the loop then calls ``take()``.
    package init(load: @escaping @Sendable () -> DesiredState, loaded: @escaping @Sendable () -> Void) {
        self.load = load
        self.loaded = loaded
    }

    /// Starts a load, or asks for one more after the load running now.
    package func request() {
        let start = state.withLock { state in
            guard !state.running else {
                state.again = true
                return false
            }
            state.running = true
            return true
        }
        if start { queue.async { self.run() } }
    }

    /// The last finished load not taken yet.
    package func take() -> DesiredState? {
        state.withLock { state in
            defer { state.loaded = nil }
            return state.loaded
        }
    }

    private func run() {
        var more = true
        while more {
            let desired = load()
            more = state.withLock { state in
                state.loaded = desired
                state.running = state.again
                state.again = false
                return state.running
            }
            loaded()
        }
    }
}
