import ArgumentParser
import Core
import Foundation

/// `vmsnap metrics`: writes `vmsnap.prom` from the job history, for node_exporter's textfile collector.
struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Write \(MetricsFile.fileName) (Prometheus text format) from the job history.",
        discussion: """
            The folder is --metrics-dir, else the configuration's metricsDirectory, else \
            \(MetricsFile.debianTextfileDirectory) (Debian's prometheus-node-exporter textfile folder) when it \
            exists; with none of them, or with --stdout, the metrics are printed instead. The file is replaced \
            atomically. Every job also writes it when it starts and when it ends (snapshot and handler take \
            --metrics-dir too). The SAS expiry comes from the plugin directory's newest settings. The README lists \
            every series and example alerts.
            """)

    @OptionGroup var state: StateDirectoryOptions
    @Option(help: "node_exporter's textfile folder to write \(MetricsFile.fileName) into ('off': print instead).")
    var metricsDir: String?
    @Flag(help: "Print the metrics instead of writing the file.") var stdout = false

    func run() async throws {
        let configuration = try state.configuration()
        let directory = try state.directory(configuration)
        let history = JobHistory(directory: directory)
        let records: [JobHistoryRecord]
        do {
            records = try history.read().records
        } catch {
            TerminalOutput.standardError("Error: cannot read \(history.path): \(error)\n")
            throw ExitCode(1)
        }
        let plugin = state.stateDirectory == nil ? state.plugin(configuration) : nil
        let settings = plugin.flatMap { plugin in
            try? SettingsLoader.parse(
                path: plugin.path, certificateDirectory: (plugin.path as NSString).deletingLastPathComponent
            ).settings
        }
        let machine = await MachineIdentityLookup.standard(configuration: configuration).resolve(
            client: configuration?.blobClient(commandLineBundle: nil) ?? BlobClient())
        let file = MetricsFile(
            machine: machine, history: records, running: JobLock.holder(directory: directory) != nil,
            sasExpiry: settings.flatMap(MetricsFile.sasExpiry))
        guard !stdout,
            let target = MetricsFile.directory(
                commandLine: metricsDir, configuration: configuration, debianDefault: true)
        else {
            TerminalOutput.standardOutput(file.text())
            return
        }
        do {
            try file.write(to: target)
        } catch {
            TerminalOutput.standardError("Error: cannot write \(MetricsFile.fileName) in \(target): \(error)\n")
            throw ExitCode(1)
        }
        TerminalOutput.standardOutput(
            "wrote \((target as NSString).appendingPathComponent(MetricsFile.fileName)) (\(records.count) job(s) in the history)\n"
        )
    }
}
