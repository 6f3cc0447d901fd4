import ArgumentParser
import Core
import Foundation

/// `vmsnap config ...`: inspect and check inputs.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check job settings and vmsnap's configuration; show the job plan.",
        subcommands: [ConfigValidateCommand.self, ConfigShowCommand.self])
}

/// `vmsnap config show [--json]`: the job plan a snapshot would run with on this machine: every effective setting
/// with its source, the mounts frozen and every reason each other mount is skipped.
struct ConfigShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show the effective job plan: each setting and its source, the mounts frozen and why others are not.",
        discussion: """
            Sources, highest first: the command line, vmsnap's configuration, vmbackup.conf (with its line), the \
            default. Without --freeze it shows the job the guest agent runs (handler \
            enable: discovered mounts frozen). Exits 1 when a file is broken or a --mount is not a mount point.
            """)

    @OptionGroup var plan: JobPlanOptions
    @Flag(help: "Print the plan as JSON.") var json = false

    func run() throws {
        let resolved = try plan.resolve(freezesByDefault: true)
        if json { TerminalOutput.json(resolved.json()) } else { TerminalOutput.standardOutput(resolved.text()) }
    }
}

/// `vmsnap config validate FILE|DIR [--json]`: a redacted summary of job settings (any form, or a plugin
/// directory) or of vmsnap's configuration file, or every error; exit status 0 when valid, 1 otherwise.
struct ConfigValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract:
            "Validate job settings (any form or a plugin directory), vmsnap's configuration file or workload.conf.")

    @Argument(
        help:
            "A settings file, HandlerEnvironment.json, a plugin directory, a vmsnap configuration file, or workload.conf."
    )
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
            TerminalOutput.json(report.json())
        } else {
            TerminalOutput.standardOutput(report.text())
        }
        if !report.valid { throw ExitCode(1) }
    }
}
