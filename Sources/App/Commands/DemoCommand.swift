import ArgumentParser

/// `demo`: placeholder until issue 5 lands.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Not built yet (issue 5).")

    func run() async throws { throw ValidationError("'demo' is not built yet (issue 5)") }
}
