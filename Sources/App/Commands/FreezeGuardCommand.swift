import ArgumentParser

/// `freeze-guard`: placeholder until issue 6 lands.
struct FreezeGuardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "freeze-guard", abstract: "Not built yet (issue 6).")

    func run() async throws { throw ValidationError("'freeze-guard' is not built yet (issue 6)") }
}
