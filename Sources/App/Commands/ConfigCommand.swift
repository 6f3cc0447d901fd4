import ArgumentParser

/// `config`: placeholder until issue 2 lands.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Not built yet (issue 2).")

    func run() async throws { throw ValidationError("'config' is not built yet (issue 2)") }
}
