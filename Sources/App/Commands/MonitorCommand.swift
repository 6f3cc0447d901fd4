import ArgumentParser

/// `monitor`: placeholder until issue 5 lands.
struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "monitor", abstract: "Not built yet (issue 5).")

    func run() async throws { throw ValidationError("'monitor' is not built yet (issue 5)") }
}
