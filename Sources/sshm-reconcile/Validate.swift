import ArgumentParser

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check manifests without touching xenstore or the hypervisor.")

    func run() async throws {}
}
