import ArgumentParser
import Core
import Foundation

/// `vmsnap history`: the local job history journal, newest last.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Print the jobs this VM ran (the local job history beside mrseq), newest last.",
        discussion: """
            Every job that got past its repeat check appends one record to \(JobHistory.fileName) in its state \
            folder (the handler directory; snapshot's --status-dir), keeping the newest \(JobHistory.defaultLimit). \
            --json prints schema \(HistoryReport.schema). Exits 0, or 1 when the journal cannot be read.
            """)

    @OptionGroup var state: StateDirectoryOptions
    @Flag(help: "Print JSON (schema \(HistoryReport.schema)).") var json = false
    @Option(name: [.customShort("n"), .long], help: "Show the newest N jobs (default: all kept).") var count: Int?
    @Flag(help: "Show times in UTC (default: local time with its zone label).") var utc = false

    func validate() throws {
        if let count, count < 1 { throw ValidationError("-n: expected a positive number of jobs") }
    }

    func run() async throws {
        let configuration = try state.configuration()
        let directory = try state.directory(configuration)
        let history = JobHistory(directory: directory)
        let contents: JobHistory.Contents
        do {
            contents = try history.read()
        } catch {
            TerminalOutput.standardError("Error: cannot read \(history.path): \(error)\n")
            throw ExitCode(1)
        }
        let machine = await MachineIdentityLookup.standard(configuration: configuration).resolve(
            client: configuration?.blobClient(commandLineBundle: nil) ?? BlobClient())
        let report = HistoryReport(
            path: history.path, contents: contents, newest: count, machine: machine, generatedAt: Date())
        if json {
            FileHandle.standardOutput.write(report.json())
        } else {
            TerminalOutput.standardOutput(
                report.text(zone: utc ? .utc : (configuration?.clock ?? .local).zone))
        }
    }
}
