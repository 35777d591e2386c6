/// Polls `condition` until it holds; returns whether it did within `deadline` (for state another thread changes).
package func eventually(within deadline: Duration = .seconds(10), _ condition: () -> Bool) async throws -> Bool {
    let clock = ContinuousClock()
    let end = clock.now + deadline
    while !condition() {
        guard clock.now < end else { return false }
        try await Task.sleep(for: .milliseconds(2))
    }
    return true
}
