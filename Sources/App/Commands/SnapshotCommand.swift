import ArgumentParser

/// `snapshot`: placeholder until issue 4 lands.
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "snapshot", abstract: "Not built yet (issue 4).")

    func run() async throws { throw ValidationError("'snapshot' is not built yet (issue 4)") }
}
