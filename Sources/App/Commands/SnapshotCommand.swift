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
            Settings of vmsnap's own configuration (--config, default \(VMSnapConfiguration.defaultPath) when it \
            exists: freezeTimeoutSeconds, mountsToSkip) apply unless a flag overrides them. Exits 0 when the job \
            succeeded, 1 otherwise.
            """)

    /// How filesystems are made consistent.
    enum FreezeMode: String, ExpressibleByArgument, CaseIterable {
        case off, auto
    }

    @Option(help: "A settings file in any accepted form.") var settings: String?
    @Option(help: "The extension's handler directory (HandlerEnvironment.json, config/, status/).")
    var pluginDir: String?
    @Flag(help: "Print one JSON object per event per line.") var json = false
    @Option(help: "Freeze filesystems during the snapshot: off or auto.") var freeze: FreezeMode = .off
    @Option(name: .customLong("mount"), help: "A mount point to freeze (repeatable; default: discovered).")
    var mounts: [String] = []
    @Option(help: "Longest freeze, in seconds (default: the configuration's freezeTimeoutSeconds, 60).")
    var freezeTimeoutSeconds: Int?
    @Option(help: "vmsnap's configuration file (default: \(VMSnapConfiguration.defaultPath) when it exists).")
    var config: String?
    @Option(help: "The exclusive freeze lock (shared with Site Recovery).")
    var freezeLock = GuardedFreezer.defaultLockPath
    @Flag(help: "Don't hold rcu_expedited at 1 during FIFREEZE (slower freeze).") var noExpediteRcu = false
    @Option(help: "VMSnapshotScriptPluginConfig.json with the pre/post scripts (a missing file means none).")
    var scriptConfig = ScriptPlugin.defaultConfigPath
    @Option(help: "With --settings: where <N>.status goes (also keeps the repeat-check state).")
    var statusDir: String?
    @Option(help: "With --settings: where extension.log goes.") var logDir: String?
    @Option(help: "Sequence number N (default: $ConfigSequenceNumber, else the newest config/*.settings).")
    var sequenceNumber: Int?
    @Option(help: "Where <THUMBPRINT>.crt/.prv are.") var certificateDirectory = SettingsLoader
        .defaultCertificateDirectory

    func validate() throws {
        guard (settings == nil) != (pluginDir == nil) else {
            throw ValidationError("give exactly one of --settings FILE or --plugin-dir DIR")
        }
        if !mounts.isEmpty && freeze == .off { throw ValidationError("--mount needs --freeze auto") }
        if let freezeTimeoutSeconds, !VMSnapConfiguration.freezeTimeoutRange.contains(Double(freezeTimeoutSeconds)) {
            let range = VMSnapConfiguration.freezeTimeoutRange
            throw ValidationError(
                "--freeze-timeout-seconds: expected \(Int(range.lowerBound)) to \(Int(range.upperBound))")
        }
    }

    func run() async throws {
        // A ConfigurationError is a broken file, not a misused command: it prints without the usage text.
        let configuration = try VMSnapConfiguration.load(commandLinePath: config)
        var options = SnapshotJobOptions(
            freezeTimeout: configuration.freezeTimeout(commandLineSeconds: freezeTimeoutSeconds))
        if freeze == .auto {
            options.freezer = configuration.freezer(
                mounts: mounts, lockPath: freezeLock, expediteGracePeriods: !noExpediteRcu)
        }
        options.scripts = ScriptPlugin(configPath: scriptConfig)
        let path: String
        if let pluginDir {
            let environment: HandlerEnvironment
            do {
                environment = try HandlerEnvironment.load(path: pluginDir)
            } catch {
                throw ValidationError("cannot read \(pluginDir)/\(HandlerEnvironment.fileName): \(error)")
            }
            options.statusDirectory = environment.statusFolder
            options.logDirectory = environment.logFolder
            options.stateDirectory = pluginDir
            path = pluginDir
        } else {
            options.statusDirectory = statusDir
            options.logDirectory = logDir
            options.stateDirectory = statusDir
            path = settings ?? ""
        }
        let job = SnapshotJob.load(
            settingsPath: path, sequenceNumber: sequenceNumber, certificateDirectory: certificateDirectory,
            options: options)
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
                print(line)
                // Each event as it happens, also when stdout is a pipe (`vmsnap snapshot --json | jq`).
                fflush(nil)
            }
        }
        let result = await job.run()
        await printer.value
        return result
    }

    /// Whether the job's code is a success (0, 1, or 3 already done).
    static func succeeded(_ result: JobResult) -> Bool { [0, 1, 3].contains(result.code) }
}
