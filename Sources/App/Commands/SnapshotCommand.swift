import ArgumentParser
import Core
import Dispatch
import Foundation

/// `snapshot`: runs one snapshot job and prints its progress.
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Run one snapshot job: snapshot every disk, write the status file and upload the status blob.",
        discussion: """
            --settings takes every form 'config validate' takes (config/N.settings, HandlerEnvironment.json, the ARM \
            resource form, ...); --plugin-dir reads HandlerEnvironment.json and config/ from the handler directory. \
            The job plan (mounts to freeze, timeouts, freeze lock, scripts, uploads) comes from the command line, \
            then vmsnap's configuration (--config, default \(VMSnapConfiguration.defaultPath) when it exists), then \
            vmbackup.conf (--vmbackup-conf, default \(VMBackupConf.defaultPath) when it exists), then the defaults; \
            'vmsnap config show' prints it. Storage endpoints are verified against --ca-bundle, else the \
            configuration's caBundle. Exits 0 when the job succeeded, 1 otherwise.
            """)

    @Option(help: "A settings file in any accepted form.") var settings: String?
    @Option(help: "The extension's handler directory (HandlerEnvironment.json, config/, status/).")
    var pluginDir: String?
    @Flag(help: "Print one JSON object per event per line.") var json = false
    @OptionGroup var plan: JobPlanOptions
    @Option(help: "With --settings: where <N>.status goes (also keeps the repeat-check state).")
    var statusDir: String?
    @Option(help: "With --settings: where extension.log goes.") var logDir: String?
    @Option(
        help:
            "node_exporter's textfile folder: \(MetricsFile.fileName) is written when the job starts and ends (default: the configuration's metricsDirectory, else none)."
    )
    var metricsDir: String?
    @Option(help: "Sequence number N (default: $ConfigSequenceNumber, else the newest config/*.settings).")
    var sequenceNumber: Int?
    @OptionGroup var trust: TrustOptions
    @Option(help: "Where <THUMBPRINT>.crt/.prv are.") var certificateDirectory = SettingsLoader
        .defaultCertificateDirectory

    func validate() throws {
        guard (settings == nil) != (pluginDir == nil) else {
            throw ValidationError("give exactly one of --settings FILE or --plugin-dir DIR")
        }
    }

    func run() async throws {
        let plan = try self.plan.resolve(freezesByDefault: false)
        let path: String
        var options: SnapshotJobOptions
        if let pluginDir {
            let environment: HandlerEnvironment
            do {
                environment = try HandlerEnvironment.load(path: pluginDir)
            } catch {
                throw ValidationError("cannot read \(pluginDir)/\(HandlerEnvironment.fileName): \(error)")
            }
            options = plan.options(
                statusDirectory: environment.statusFolder, logDirectory: environment.logFolder,
                stateDirectory: pluginDir)
            path = pluginDir
        } else {
            options = plan.options(statusDirectory: statusDir, logDirectory: logDir, stateDirectory: statusDir)
            path = settings ?? ""
        }
        options.metricsDirectory = MetricsFile.directory(
            commandLine: metricsDir, configuration: plan.configuration, debianDefault: false)
        options.identityLookup = .standard(configuration: plan.configuration)
        let log = ExtensionLog(directory: options.logDirectory)
        plan.log(to: log)
        let job = SnapshotJob.load(
            settingsPath: path, sequenceNumber: sequenceNumber, certificateDirectory: certificateDirectory,
            options: options, client: trust.blobClient(plan.configuration), log: log)
        let result = await JobConsole.run(job, json: json)
        if !JobConsole.succeeded(result) { throw ExitCode(1) }
    }
}

/// Runs a job in a terminal: prints its events, turns SIGTERM/SIGINT into a clean cancellation (unless the caller
/// handles the signals itself: a second dispatch source for a signal does not receive it).
enum JobConsole {
    static func run(_ job: SnapshotJob, json: Bool, quiet: Bool = false, handlingSignals: Bool = true) async
        -> JobResult
    {
        let signals = (handlingSignals ? [SIGTERM, SIGINT] : []).map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { job.cancel(reason: number == SIGTERM ? "SIGTERM" : "SIGINT") }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        let printer = Task {
            for await event in job.events where !quiet {
                guard let line = json ? JobEventFormat.jsonLine(event) : JobEventFormat.humanLine(event) else {
                    continue
                }
                if json { TerminalOutput.json(line) } else { TerminalOutput.standardOutput(line + "\n") }
            }
        }
        let result = await job.run()
        await printer.value
        return result
    }

    /// Whether the job's code is a success (0, 1, or 3 already done).
    static func succeeded(_ result: JobResult) -> Bool { [0, 1, 3].contains(result.code) }
}
