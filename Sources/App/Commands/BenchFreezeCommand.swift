import ArgumentParser

/// `freeze`: placeholder until issue 6 lands.
struct BenchFreezeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "freeze", abstract: "Not built yet (issue 6).")

    func run() async throws { throw ValidationError("'freeze' is not built yet (issue 6)") }
}
