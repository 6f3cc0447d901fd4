import ArgumentParser
import Core
import Foundation

/// `handler`: the guest agent's lifecycle commands (see packaging/HandlerManifest.json), run in the handler
/// directory, reading HandlerEnvironment.json from the working directory.
struct HandlerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "handler",
        abstract: "Guest agent lifecycle commands: install, enable, disable, uninstall, update.",
        subcommands: [Install.self, Enable.self, Disable.self, Uninstall.self, Update.self])

    /// The handler directory (the working directory) and its HandlerEnvironment.json.
    struct Handler {
        let directory: String
        let environment: HandlerEnvironment
        let log: ExtensionLog

        init() throws {
            directory = FileManager.default.currentDirectoryPath
            do {
                environment = try HandlerEnvironment.load(path: directory)
            } catch {
                throw ValidationError("cannot read \(HandlerEnvironment.fileName) in \(directory): \(error)")
            }
            log = ExtensionLog(directory: environment.logFolder)
        }

        func note(_ message: String) {
            log.write(message)
            TerminalOutput.standardOutput(message + "\n")
        }
    }

    /// `install`: prepares the log and status folders.
    struct Install: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Prepare the log and status folders.")

        func run() async throws {
            let handler = try Handler()
            for folder in [handler.environment.logFolder, handler.environment.statusFolder] {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            }
            handler.note("install: folders ready")
        }
    }

    /// `enable`: runs the job of config/<ConfigSequenceNumber>.settings with the agent's job plan (discovered mounts
    /// frozen, the scripts of VMSnapshotScriptPluginConfig.json, vmsnap's configuration and vmbackup.conf).
    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the snapshot job of config/<$ConfigSequenceNumber>.settings.",
            discussion: """
                Exits 0 once a terminal status is written: the status file carries the job's outcome. A broken \
                vmsnap configuration (--config, default \(VMSnapConfiguration.defaultPath) when it exists) or a \
                missing --vmbackup-conf ends the job with code 11 naming the file and key, and exits 1.
                """)

        @Flag(help: "Print one JSON object per event per line.") var json = false
        @Option(help: "Freeze filesystems (auto: discovered mounts, as the agent runs it) or not (off).")
        var freeze: JobPlanOptions.FreezeMode?
        @Option(help: "vmsnap's configuration file (see config.example.json).") var config: String?
        @Option(help: "vmbackup.conf (default: \(VMBackupConf.defaultPath) when it exists).") var vmbackupConf: String?

        func run() async throws {
            let handler = try Handler()
            let folders = handler.environment
            var rejection: JobFailure?
            var options = SnapshotJobOptions(
                statusDirectory: folders.statusFolder, logDirectory: folders.logFolder,
                stateDirectory: handler.directory)
            var log = handler.log
            var eventFiles = true
            var trustConfiguration = VMSnapConfiguration.defaults
            do {
                let plan = try JobPlan.resolve(
                    sources: JobPlanSources(configurationPath: config, vmbackupConfPath: vmbackupConf),
                    overrides: JobPlanOverrides.agentJob(freeze: freeze.map { $0 == .auto }))
                options = plan.options(
                    statusDirectory: folders.statusFolder, logDirectory: folders.logFolder,
                    stateDirectory: handler.directory)
                if !plan.writeLog.value { log = ExtensionLog(directory: nil) }
                eventFiles = plan.eventFiles.value
                trustConfiguration = plan.configuration
                plan.log(to: log)
            } catch {
                rejection = JobFailure(code: 11, message: error.jobMessage)
            }
            let job = SnapshotJob.load(
                settingsPath: handler.directory, options: options,
                client: trustConfiguration.blobClient(commandLineBundle: nil),
                log: log, rejection: rejection)
            _ = await JobConsole.run(job, json: json)
            if eventFiles, let folder = folders.eventsFolder {
                // After the job: the thaw is done, the events folder can be written.
                let events = GuestAgentEvents(
                    folder: folder, version: "\(ExtensionIdentity.name)-\(ExtensionIdentity.version)",
                    operationID: job.settings.taskID)
                events.removeStale()
                do {
                    try events.write(logLines: log.jobLog.split(separator: "\n").map(String.init))
                } catch {
                    log.write("WARNING: guest-agent event file not written in \(folder): \(error)")
                }
            }
            if let rejection {
                TerminalOutput.standardError("error: \(rejection.message)\n")
                throw ExitCode(1)
            }
        }
    }

    /// `disable`: nothing keeps running between jobs, so there is nothing to stop.
    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Nothing to stop: jobs run only inside enable.")

        func run() async throws { try Handler().note("disable: nothing to stop") }
    }

    /// `uninstall`: forgets the handled jobs.
    struct Uninstall: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Forget the last handled job.")

        func run() async throws {
            let handler = try Handler()
            JobLedger(directory: handler.directory).forget()
            handler.note("uninstall: state removed")
        }
    }

    /// `update`: nothing to migrate.
    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Nothing to migrate between versions.")

        func run() async throws { try Handler().note("update: nothing to migrate") }
    }
}
