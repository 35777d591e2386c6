import ArgumentParser
import SSHMReconcile

extension HostOptions {
    /// Runs `body` holding `<state-dir>/lock`, as `apply` and the daemon do: one of them at a time per state dir.
    /// - Throws: `ExitCode(75)` when another process holds the lock, `ExitCode(69)` when it cannot be taken, after
    ///   saying why.
    func withStateLock<T>(holder: StateLock.Holder, _ body: () async throws -> T) async throws -> T {
        let lock: StateLock
        do {
            lock = try StateLock(directory: resolvedStateDir, holder: holder)
        } catch {
            Output.error("\(error)")
            throw ExitCode(ExitStatus.afterLock(error))
        }
        defer { withExtendedLifetime(lock) {} }
        return try await body()
    }
}
