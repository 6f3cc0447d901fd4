import ArgumentParser

/// `status`: placeholder until issue 5 lands.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Not built yet (issue 5).")

    func run() async throws { throw ValidationError("'status' is not built yet (issue 5)") }
}
