import ArgumentParser

/// `emulator`: placeholder until issue 3 lands.
struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "emulator", abstract: "Not built yet (issue 3).")

    func run() async throws { throw ValidationError("'emulator' is not built yet (issue 3)") }
}
