import ArgumentParser
import Core
import Foundation

/// `vmsnap config ...`: inspect and check inputs.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check job settings and vmsnap's configuration.",
        subcommands: [ConfigValidateCommand.self])
}

/// `vmsnap config validate FILE|DIR [--json]`: a redacted summary of job settings (any form, or a plugin
/// directory) or of vmsnap's configuration file, or every error; exit status 0 when valid, 1 otherwise.
struct ConfigValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Validate job settings (any form or a plugin directory) or vmsnap's configuration file.")

    @Argument(help: "A settings file, HandlerEnvironment.json, a plugin directory, or a vmsnap configuration file.")
    var path: String

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Option(help: "Read config/N.settings (default: $ConfigSequenceNumber, else the newest *.settings).")
    var sequenceNumber: Int?

    @Option(help: "Where <THUMBPRINT>.crt and .prv are.")
    var certificateDirectory = SettingsLoader.defaultCertificateDirectory

    func run() throws {
        let report = ConfigValidator.validate(
            path: path, sequenceNumber: sequenceNumber, certificateDirectory: certificateDirectory)
        if json {
            print(report.json())
        } else {
            TerminalOutput.standardOutput(report.text())
        }
        if !report.valid { throw ExitCode(1) }
    }
}
