import ArgumentParser
import Core
import Foundation

/// `vmsnap status --once`: the dashboard's model printed once; the exit status is the job's health.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print the snapshot job's status once (for scripts and tickets).",
        discussion: """
            Exit status: 0 success, 1 failed, 2 warning (partial), 3 stuck (no terminal status), 4 running, \
            5 no status document found.
            """)

    @OptionGroup var sources: MonitorSourceOptions

    @Flag(help: "Read every source once and print (required; the live view is `vmsnap monitor`).")
    var once = false

    @Flag(help: "Print JSON (schema \(StatusReport.schema)).")
    var json = false

    func validate() throws {
        guard once else { throw ValidationError("add --once (the live view is `vmsnap monitor`)") }
    }

    func run() async throws {
        let configuration = try sources.configuration()
        let locations = sources.locations(configuration)
        let report = await StatusReport.collect(
            locations: locations, fetcher: sources.fetcher(locations, configuration))
        FileHandle.standardOutput.write(json ? report.json() : Data(report.text().utf8))
        let status = report.health.exitStatus
        if status != 0 { throw ExitCode(status) }
    }
}
