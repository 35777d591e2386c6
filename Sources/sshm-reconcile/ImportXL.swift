import ArgumentParser

struct ImportXL: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-xl", abstract: "Convert the static_shm entries of xl domain configs into a manifest.")

    func run() async throws {}
}
