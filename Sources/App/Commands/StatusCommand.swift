import ArgumentParser
import Core
import Foundation

/// `vmsnap status --once`: the dashboard's model printed once; the exit status is the job's health.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print the snapshot job's status once (for scripts and tickets).",
        discussion: """
            The verdict comes from the result code and the document's age, never from the status word. Exit \
            status: 0 succeeded, 1 failed, 2 warning, 3 stuck (no terminal status after the longest a job may \
            run), 4 running; without a status document: 5 no job yet (the sources were read and hold none), 6 the \
            extension is not installed (no plugin directory, no status blob), 7 a status source could not be read \
            (the status blob unreachable or refused, the status file unreadable); 64 a usage or configuration \
            error. The report names the machine (host name; on Azure the VM id and resource id from the instance \
            metadata service) and the last good snapshot (the document's lastSuccessUTC or the local job history).
            """)

    @OptionGroup var sources: MonitorSourceOptions

    @Flag(help: "Read every source once and print (required; the live view is `vmsnap monitor`).")
    var once = false

    @Flag(help: "Print JSON (schema \(StatusReport.schema), schemas/vmsnap.status.schema.json).")
    var json = false

    @Option(help: "Longest wait for the status blob, in seconds (1 to 300).")
    var timeout: Double = 10

    func validate() throws {
        guard once else { throw ValidationError("add --once (the live view is `vmsnap monitor`)") }
        guard (1...300).contains(timeout) else { throw ValidationError("--timeout: expected 1 to 300 seconds") }
    }

    func run() async throws {
        let configuration = try sources.configuration()
        let locations = sources.locations(configuration)
        let fetcher = sources.fetcher(locations, configuration, timeout: .milliseconds(Int(timeout * 1000)))
        let machine = await MachineIdentityLookup.standard(configuration: configuration).resolve(
            client: sources.trust.blobClient(configuration))
        let report = await StatusReport.collect(locations: locations, fetcher: fetcher, machine: machine)
        if json {
            TerminalOutput.json(String(decoding: report.json(), as: UTF8.self))
        } else {
            TerminalOutput.standardOutput(report.text(zone: sources.zone(configuration)))
        }
        let status = report.exitStatus
        if status != 0 { throw ExitCode(status) }
    }
}
