import ArgumentParser
import Core
import Dispatch
import Foundation
import Synchronization

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

        /// The agent's folder (Lib.Dir), where it leaves `<THUMBPRINT>.crt/.prv`: the parent of the handler
        /// directory (`$AZURE_GUEST_AGENT_EXTENSION_PATH` when the agent sets it).
        var agentDirectory: String {
            let path = ProcessInfo.processInfo.environment["AZURE_GUEST_AGENT_EXTENSION_PATH"] ?? directory
            return (path as NSString).deletingLastPathComponent
        }

        /// Sends SIGTERM to the jobs waiting for this directory's lock (first, so that none starts) and to the one
        /// holding it, and waits until they have ended, at most `limit` (kept under the agent's timeout for the
        /// command). Each writes its terminal status.
        func stopRunningJob(command: String, waitingAtMost limit: Duration) async {
            let jobs = JobLock.waiters(directory: directory) + [JobLock.holder(directory: directory)].compactMap { $0 }
            guard !jobs.isEmpty else {
                note("\(command): no job running")
                return
            }
            for pid in jobs { kill(pid, SIGTERM) }
            let deadline = ContinuousClock.now + limit
            func running() -> Bool {
                JobLock.holder(directory: directory) != nil || !JobLock.waiters(directory: directory).isEmpty
            }
            while running(), ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(200)) }
            let list = jobs.map(String.init).joined(separator: ", ")
            note("\(command): job(s) in process \(list) \(running() ? "still running after \(limit)" : "stopped")")
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

    /// `enable`: checks the request, writes the transitioning status and starts the job of
    /// config/<ConfigSequenceNumber>.settings in a detached process, then returns (the agent kills enable after
    /// 300 s and waits for nothing else while it runs).
    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the snapshot job of config/<$ConfigSequenceNumber>.settings in the background.",
            discussion: """
                Writes status/<N>.status as transitioning (code 4), starts the job in a process of its own session \
                (it survives the agent killing enable's process group) with every flag given here, and exits 0 at \
                once; the job writes the terminal status. One job per sequence number: a repeated enable for a \
                number already started or handled starts nothing. A job for a newer number waits until the running \
                one has ended (at most its own time budget; then it fails with code 2). A ledger recorded on another \
                VM (this one restored from a backup, or cloned) is forgotten first. A broken vmsnap configuration \
                (--config, default \(VMSnapConfiguration.defaultPath) when it exists) ends the job with code 11 \
                naming the file and key, and exits 1. Certificates for protected settings are read from the agent's \
                folder, the parent of the handler directory.
                """)

        @Flag(help: "Print one JSON object per event per line (for a job that cannot start detached).")
        var json = false
        @Option(help: "Freeze filesystems (auto: discovered mounts, as the agent runs it) or not (off).")
        var freeze: JobPlanOptions.FreezeMode?
        @Option(help: "vmsnap's configuration file (see config.example.json).") var config: String?
        @Option(help: "vmbackup.conf (default: \(VMBackupConf.defaultPath) when it exists).") var vmbackupConf: String?
        @Option(help: "workload.conf (default: \(WorkloadConf.defaultPath) when it exists).") var workloadConf: String?
        @Option(
            help: "VMSnapshotScriptPluginConfig.json (default: the configuration's scriptConfig, else the agent's).")
        var scriptConfig: String?
        @Option(
            help:
                "node_exporter's textfile folder for \(MetricsFile.fileName) (default: the configuration's metricsDirectory, else \(MetricsFile.debianTextfileDirectory) when it exists; 'off': none)."
        )
        var metricsDir: String?
        @Flag(help: .hidden) var detachedJob = false
        @Option(help: .hidden) var sequenceNumber: Int?

        func run() async throws {
            let handler = try Handler()
            let folders = handler.environment
            var rejection: JobFailure?
            var options = SnapshotJobOptions(
                statusDirectory: folders.statusFolder, logDirectory: folders.logFolder,
                stateDirectory: handler.directory)
            var run = JobRun(log: handler.log, client: VMSnapConfiguration.defaults.blobClient(commandLineBundle: nil))
            var configuration: VMSnapConfiguration?
            do {
                let plan = try JobPlan.resolve(
                    sources: JobPlanSources(
                        configurationPath: config, vmbackupConfPath: vmbackupConf, scriptConfigPath: scriptConfig,
                        workloadConfPath: workloadConf),
                    overrides: JobPlanOverrides.agentJob(freeze: freeze.map { $0 == .auto }))
                options = plan.options(
                    statusDirectory: folders.statusFolder, logDirectory: folders.logFolder,
                    stateDirectory: handler.directory)
                if !plan.writeLog.value { run.log = ExtensionLog(directory: nil) }
                run.eventFiles = plan.eventFiles.value
                run.client = plan.configuration.blobClient(commandLineBundle: nil)
                configuration = plan.configuration
                if detachedJob { plan.log(to: run.log) }
            } catch {
                rejection = JobFailure(code: 11, message: error.jobMessage)
            }
            options.machineIdentity = VMIdentity.current(agentDirectory: handler.agentDirectory)
            options.metricsDirectory = MetricsFile.directory(
                commandLine: metricsDir, configuration: configuration, debianDefault: true)
            options.identityLookup = .standard(configuration: configuration)
            if let rejection {
                // Only a report: written here, at once, with the settings' status blob.
                _ = await JobConsole.run(job(handler, options, run, rejection: rejection), json: json)
                TerminalOutput.standardError("error: \(rejection.message)\n")
                throw ExitCode(1)
            }
            if detachedJob {
                await runDetached(handler, options, run)
                return
            }
            guard let number = SettingsLoader.sequenceNumber(pluginDirectory: handler.directory) else {
                // No settings to run: the job only reports that, here.
                _ = await JobConsole.run(job(handler, options, run), json: json)
                return
            }
            try await start(handler, options, run, sequenceNumber: number)
        }

        /// Claims the sequence number, writes the transitioning status and starts the detached job.
        private func start(_ handler: Handler, _ options: SnapshotJobOptions, _ run: JobRun, sequenceNumber number: Int)
            async throws
        {
            let ledger = JobLedger(directory: handler.directory, identity: options.machineIdentity)
            if let reason = ledger.forgetIfMachineChanged() { handler.note("enable: \(reason)") }
            if ledger.lastSequenceNumber == number {
                handler.note("enable: sequence number \(number) was already handled: no job started")
                return
            }
            guard try ledger.claim(sequenceNumber: number) else {
                handler.note("enable: a job for sequence number \(number) was already started: no job started")
                return
            }
            let settings = try? SettingsLoader.parse(
                path: handler.directory, sequenceNumber: number, certificateDirectory: handler.agentDirectory
            ).settings
            let accepted = JobReport(
                taskID: settings?.taskID ?? "", commandStartTicks: settings?.commandStartTicks, disks: [])
            try StatusFileWriter(directory: handler.environment.statusFolder, sequenceNumber: number).write(accepted)
            let arguments =
                Array(CommandLine.arguments.dropFirst()) + [
                    "--detached-job", "--sequence-number", String(number),
                ]
            do {
                let pid = try DetachedProcess.start(executable: "/proc/self/exe", arguments: arguments)
                handler.note("enable: job for sequence number \(number) started in process \(pid)")
            } catch {
                handler.note("enable: \(error): the job runs inside enable instead")
                _ = await JobConsole.run(job(handler, options, run), json: json)
            }
        }

        /// The detached job: waits for an older job of this handler directory, then runs to its terminal status.
        private func runDetached(_ handler: Handler, _ options: SnapshotJobOptions, _ run: JobRun) async {
            let wait = JobBudget(options).total
            var rejection: JobFailure?
            var lock: JobLock?
            // One SIGTERM handler for the whole process (a second dispatch source for the same signal does not get
            // it): while waiting it stops the wait, the job ending at once with a terminal status; then it cancels
            // the job (disable, shutdown).
            let stopping = Mutex<(requested: Bool, job: SnapshotJob?)>((false, nil))
            signal(SIGTERM, SIG_IGN)
            let stop = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
            stop.setEventHandler {
                let job = stopping.withLock { state in
                    state.requested = true
                    return state.job
                }
                job?.cancel(reason: "SIGTERM")
            }
            stop.resume()
            defer { stop.cancel() }
            do {
                lock = try await JobLock.acquire(directory: handler.directory, timeout: wait) {
                    !stopping.withLock { $0.requested }
                }
                // Asked to stop while waiting: no work, even when the lock came free in the meantime.
                if stopping.withLock({ $0.requested }) {
                    rejection = JobFailure(code: 2, message: "job interrupted while waiting: SIGTERM: it did not start")
                } else if lock == nil {
                    rejection = JobFailure(
                        code: 2,
                        message: "job interrupted while waiting: an earlier job of this extension still ran after "
                            + "\(wait): it did not start")
                }
            } catch {
                rejection = JobFailure(code: 2, message: "cannot take \(JobLock.fileName): \(error)")
            }
            let snapshotJob = job(handler, options, run, rejection: rejection)
            if stopping.withLock({ state in
                state.job = snapshotJob
                return state.requested && lock != nil
            }) {
                snapshotJob.cancel(reason: "SIGTERM")
            }
            let events = run.eventFlusher(
                handler.environment.eventsFolder, taskID: snapshotJob.settings.taskID,
                extensionDirectory: handler.directory)
            let flushing = events.map { events in Task { await events.run() } }
            _ = await JobConsole.run(snapshotJob, json: false, quiet: true, handlingSignals: false)
            flushing?.cancel()
            await flushing?.value
            await events?.flush()
            withExtendedLifetime(lock) {}
        }

        private func job(
            _ handler: Handler, _ options: SnapshotJobOptions, _ run: JobRun, rejection: JobFailure? = nil
        ) -> SnapshotJob {
            SnapshotJob.load(
                settingsPath: handler.directory, sequenceNumber: sequenceNumber,
                certificateDirectory: handler.agentDirectory, options: options, client: run.client, log: run.log,
                rejection: rejection)
        }
    }

    /// What a job of `enable` runs with besides its options: its log, its blob client (the plan's TLS trust), and
    /// whether it writes the guest agent's event files.
    struct JobRun {
        var log: ExtensionLog
        var client: BlobClient
        var eventFiles = true

        /// The writer of the job's guest-agent event files (during the job and after it), when it writes them: its
        /// level from `<extension dir>/main/LogSeverity.json`; files older than 24 hours are deleted first.
        func eventFlusher(_ folder: String?, taskID: String?, extensionDirectory: String) -> GuestAgentEventFlusher? {
            guard eventFiles, let folder else { return nil }
            var events = GuestAgentEvents(
                folder: folder, version: "\(ExtensionIdentity.name)-\(ExtensionIdentity.version)",
                operationID: taskID ?? "")
            let severity = GuestAgentEvents.minimumLevel(extensionDirectory: extensionDirectory)
            events.minimumLevel = severity.level
            if let problem = severity.problem { log.write("WARNING: \(problem)") }
            events.removeStale()
            return GuestAgentEventFlusher(events: events, log: log)
        }
    }

    /// `disable`: stops a running job (SIGTERM: it thaws, runs the post-script, writes its terminal status) and
    /// waits for it to end.
    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop the running job, if any, and wait until it has written its terminal status.")

        func run() async throws {
            let handler = try Handler()
            // The agent allows disable 900 s.
            await handler.stopRunningJob(command: "disable", waitingAtMost: .seconds(14 * 60))
        }
    }

    /// `uninstall`: stops a running job and forgets the handled jobs (the agent then deletes the folder).
    struct Uninstall: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the running job and forget handled jobs.")

        func run() async throws {
            let handler = try Handler()
            // The agent allows uninstall 300 s (and ran disable before it).
            await handler.stopRunningJob(command: "uninstall", waitingAtMost: .seconds(4 * 60))
            JobLedger(directory: handler.directory).forget()
            handler.note("uninstall: state removed")
        }
    }

    /// `update`: runs in the new version's folder; takes over the old version's ledger so that the enable the agent
    /// runs next does not repeat a job the old version handled.
    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take over the handled jobs of the version named by $AZURE_GUEST_AGENT_UPDATING_FROM_VERSION.")

        func run() async throws {
            let handler = try Handler()
            guard let old = ProcessInfo.processInfo.environment["AZURE_GUEST_AGENT_UPDATING_FROM_VERSION"],
                !old.isEmpty
            else {
                handler.note("update: no previous version named: nothing to take over")
                return
            }
            let name = handler.environment.name ?? ExtensionIdentity.name
            let previous = (handler.agentDirectory as NSString).appendingPathComponent("\(name)-\(old)")
            try JobLedger(directory: handler.directory).takeOver(from: JobLedger(directory: previous))
            handler.note("update: handled jobs of \(previous) taken over")
        }
    }
}
