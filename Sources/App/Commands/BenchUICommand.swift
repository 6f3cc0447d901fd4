import ArgumentParser

/// `ui`: placeholder until issue 5 lands.
struct BenchUICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ui", abstract: "Not built yet (issue 5).")

    func run() async throws { throw ValidationError("'ui' is not built yet (issue 5)") }
}
