import ArgumentParser

/// `handler`: placeholder until issue 4 lands.
struct HandlerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "handler", abstract: "Not built yet (issue 4).")

    func run() async throws { throw ValidationError("'handler' is not built yet (issue 4)") }
}
