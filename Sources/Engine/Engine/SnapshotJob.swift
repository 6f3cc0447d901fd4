import Basics
import Foundation
import Logging
import Synchronization

/// Runs one snapshot job: validate -> dedupe -> staleness -> pre-script -> pre-connect -> quiesce the database ->
/// freeze -> snapshot every disk in parallel -> thaw -> unquiesce -> post-script -> report (terminal status and log upload). Progress is `events`; every
/// path, cancellation included, ends with a terminal status and a `.finished` event.
public final class SnapshotJob: Sendable {
    /// The job's progress; ends after `.finished`.
    public let events: AsyncStream<JobEvent>
    public let settings: JobSettings
    public let options: SnapshotJobOptions
    /// The job's log (extension.log and the lines uploaded to logsBlobUri).
    public let log: ExtensionLog

    private struct Control {
        var work: Task<Terminal, Never>?
        var cancelReason: String?
    }

    /// How the work ended, before reporting.
    private struct Terminal {
        var code: ResultCode
        var health: ResultCode
        var message: String
    }

    private let client: BlobClient
    /// The host path's calls; nil when the host path is not attempted.
    private let hostSnapshotter: HostSnapshotter?
    private let rejection: JobFailure?
    private let logger: Logger
    private let reporter: StatusReporter
    private let statusFile: StatusFileWriter?
    private let recorder: JobRecorder
    private let continuation: AsyncStream<JobEvent>.Continuation
    private let control = Mutex(Control())
    private let live: LiveReport
    /// Set once dedupe passed: before that nothing is published, so a repeat never overwrites the first result.
    private let publishing = Atomic<Bool>(false)

    /// - Parameter rejection: the settings were refused before the job could start (e.g. code 11 or 16 from the
    ///   loader): the job only reports this failure, through the same terminal status and log path.
    public init(
        settings: JobSettings, options: SnapshotJobOptions = SnapshotJobOptions(), client: BlobClient = BlobClient(),
        log: ExtensionLog? = nil, rejection: JobFailure? = nil
    ) {
        var settings = settings
        if !options.uploadsStatusAndLog {
            settings.statusBlob = nil
            settings.logsBlob = nil
        }
        self.settings = settings
        self.options = options
        self.client = client
        self.rejection = rejection
        let log = log ?? ExtensionLog(directory: options.logDirectory)
        self.log = log
        let (events, continuation) = AsyncStream<JobEvent>.makeStream()
        self.events = events
        self.continuation = continuation
        let logger = Logger(label: "vmsnap.job") { _ in
            ExtensionLogHandler(log: log) { line, date in continuation.yield(.log(line, at: date)) }
        }
        self.logger = logger
        let disks = settings.disks.enumerated().map { index, uri in
            DiskProgress(
                index: index, blobURI: uri.blobURI, account: uri.account, container: uri.container, blob: uri.blob)
        }
        recorder = JobRecorder(options: options, settings: settings, client: client)
        var initial = JobReport(taskID: settings.taskID, commandStartTicks: settings.commandStartTicks, disks: disks)
        initial.lastSuccessUTC = recorder.lastSuccess.map(ISO8601Timestamp.format)
        initial.onlyOSDiskBackup = settings.host.custom?.onlyOSDiskBackup ?? false
        let diskIDs = HostRequests.diskIDs(settings)
        if settings.host.anyDiskExcluded && !diskIDs.isEmpty { initial.includedLUNs = Set(diskIDs) }
        initial.scriptTelemetry = options.scripts?.telemetry ?? ScriptTelemetry()
        let live = LiveReport(initial)
        self.live = live
        statusFile = options.statusDirectory.map {
            StatusFileWriter(directory: $0, sequenceNumber: settings.sequenceNumber ?? 0)
        }
        hostSnapshotter = options.hostPath.wireServer.map {
            HostSnapshotter(wireServer: $0, requests: HostRequests(settings: settings), logger: logger)
        }
        reporter = StatusReporter(
            client: client, statusBlob: settings.statusBlob, statusFile: statusFile, live: live,
            retry: options.retry)
    }

    /// Ends the job early (e.g. on SIGTERM): running requests are abandoned, frozen filesystems thawed, and the
    /// terminal status says why.
    public func cancel(reason: String) {
        let work = control.withLock { control in
            if control.cancelReason == nil { control.cancelReason = reason }
            return control.work
        }
        work?.cancel()
    }

    /// Runs the job to its end and returns the outcome (also the payload of the last event).
    ///
    /// The deadline is the job's budget from now: pre-script timeout + snapshot phase + post-script timeout. When it
    /// passes the work is cancelled (a running script's process group is killed); the post-script still runs when
    /// the pre-script ran, then the terminal status is reported within the reporting time.
    public func run() async -> JobResult {
        let budget = JobBudget(options)
        let deadline = ContinuousClock.now + budget.work
        update { $0.budget = budget.progress(startedAt: Date()) }
        let work = Task { await self.work(until: deadline, budget: budget) }
        let cancelledEarly = control.withLock { control in
            control.work = work
            return control.cancelReason != nil
        }
        if cancelledEarly { work.cancel() }
        let watchdog = Task {
            try await Task.sleep(until: deadline + .seconds(1))
            self.cancel(reason: Self.deadlineReason)
        }
        let terminal = await withTaskCancellationHandler {
            await work.value
        } onCancel: {
            self.cancel(reason: "the job was cancelled")
        }
        watchdog.cancel()
        // Reporting must not inherit a cancellation: it runs in a task of its own.
        let reportDeadline = max(deadline, .now) + options.reportingTime
        return await Task { await self.report(terminal, until: reportDeadline) }.value
    }

    // MARK: - Stages

    private func work(until deadline: ContinuousClock.Instant, budget: JobBudget) async -> Terminal {
        do throws(JobFailure) {
            try validate()
            try dedupe()
            publishing.store(true, ordering: .releasing)
            for problem in await recorder.started(at: Date()) { logger.warning("\(problem)") }
            await probeHost(until: deadline)
            try checkStaleness()
            for warning in options.scripts?.warnings ?? [] { logger.warning("script configuration: \(warning)") }
            let preScript = try await runPreScript()
            var failure: JobFailure?
            if preScript.code != 0 && !preScript.continueBackup {
                failure = JobFailure(code: preScript.code, message: "pre-script: \(preScript.message)")
            } else {
                do throws(JobFailure) {
                    // The post-script's share stays free for it.
                    try await snapshotPhase(until: deadline - budget.postScript)
                } catch {
                    failure = error
                }
            }
            // The post-script runs whenever the pre-script ran or none was configured, even after a failure.
            if preScript.ran || preScript.code == 0 {
                try await runPostScript(after: failure)
            } else {
                skip(.postScript, "the pre-script did not run")
            }
            if let failure { throw failure }
            try checkCancelled(afterEveryStage: true)
            return outcome(preScript: preScript)
        } catch {
            return Terminal(code: error.code, health: error.code, message: error.message)
        }
    }

    private func validate() throws(JobFailure) {
        begin(.validate)
        if let rejection {
            end(.validate, false, rejection.message)
            throw rejection
        }
        switch settings.commandKind {
        case .snapshot: break
        case .install:
            end(.validate, true, "commandToExecute is install: nothing to do")
            throw JobFailure(code: 1, message: "commandToExecute '\(settings.command)': nothing to do")
        case .unsupported:
            end(.validate, false, "unknown command")
            throw JobFailure(
                code: 11, message: "commandToExecute '\(settings.command)' is not supported, expected 'snapshot'")
        }
        let choice: SnapshotMethodChoice
        do throws(JobFailure) {
            choice = try SnapshotMethodChoice.decide(
                host: settings.host, diskIDs: HostRequests.diskIDs(settings),
                configured: options.hostPath.configuredMethod)
        } catch {
            end(.validate, false, "no snapshot method can take these disks")
            throw error
        }
        update { $0.method = choice }
        hostState.withLock { $0.choice = choice }
        logger.info("snapshot method: \(choice.summary)")
        if choice.method.usesHost && options.hostPath.wireServer == nil {
            logger.info("host path not attempted: \(options.hostPath.availability)")
            if choice.method == .onlyHost {
                end(.validate, false, "the host path is needed but not available")
                throw JobFailure(
                    code: .snapshotFailed,
                    message:
                        "snapshot method \(choice.summary) needs the host, but the host path is not attempted: \(options.hostPath.availability)"
                )
            }
        }
        guard !settings.disks.isEmpty || hostSnapshotter != nil && choice.method.usesHost else {
            end(.validate, false, "no disks")
            throw JobFailure(code: 76, message: "protected settings list no blobSASUri: no disk to snapshot")
        }
        end(.validate, true, "\(settings.disks.count) disk(s), task \(settings.taskID)")
    }

    private func dedupe() throws(JobFailure) {
        begin(.dedupe)
        guard let directory = options.stateDirectory else {
            end(.dedupe, .skipped, "no state folder: repeat check skipped")
            return
        }
        let ledger = JobLedger(directory: directory, identity: options.machineIdentity)
        if let reason = ledger.forgetIfMachineChanged() { logger.warning("\(reason)") }
        if let reason = ledger.alreadyHandled(taskID: settings.taskID, sequenceNumber: settings.sequenceNumber) {
            end(.dedupe, true, reason)
            throw JobFailure(code: 3, message: "\(reason): nothing done")
        }
        do {
            try ledger.record(taskID: settings.taskID, sequenceNumber: settings.sequenceNumber)
        } catch {
            logger.warning("cannot record the job in \(directory): \(error)")
        }
        end(.dedupe, true, "new job")
    }

    /// The staleness stage: the command must not be too old when the job starts.
    private func checkStaleness() throws(JobFailure) {
        begin(.staleness)
        do throws(JobFailure) {
            guard let age = try checkCommandAge(after: "start") else {
                end(.staleness, .skipped, "no commandStartTimeUTCTicks")
                return
            }
            let clock = hostState.withLock { $0.probe?.hostClockOffset } == nil ? "VM" : "host"
            end(.staleness, true, "command is \(Int(age)) s old by the \(clock)'s clock")
        } catch {
            end(.staleness, false, "too late")
            throw error
        }
    }

    /// Fails with code 402 once the command is older than `maximumCommandAge`; returns its age in seconds, nil
    /// when the settings carry no start time.
    @discardableResult
    private func checkCommandAge(after moment: String) throws(JobFailure) -> TimeInterval? {
        guard let started = settings.commandStartTime else { return nil }
        let offset = hostState.withLock { $0.probe?.hostClockOffset }
        let clock = offset == nil ? "the VM's clock" : "the host's clock"
        update { $0.stalenessClock = offset == nil ? "vm" : "host" }
        let age = Date().addingTimeInterval(offset ?? 0).timeIntervalSince(started)
        let limit = Double(options.maximumCommandAge.components.seconds)
        if age > limit {
            throw JobFailure(
                code: 402,
                message:
                    "the command arrived \(Int(age / 60)) minutes after commandStartTimeUTCTicks (limit \(Int(limit / 60))) by \(clock), checked after \(moment)"
            )
        }
        return age
    }

    private func runPreScript() async throws(JobFailure) -> ScriptOutcome {
        guard let scripts = options.scripts else {
            skip(.preScript, "scripts are off")
            return .none
        }
        try checkCancelled()
        begin(.preScript)
        let outcome = await scripts.runPreScript()
        update { $0.prePostEnabled = outcome.ran }
        if !outcome.output.isEmpty { logger.info("pre-script output: \(outcome.output)") }
        end(.preScript, Self.state(of: outcome), outcome.message)
        return outcome
    }

    private func runPostScript(after failure: JobFailure?) async throws(JobFailure) {
        guard let scripts = options.scripts else {
            skip(.postScript, "scripts are off")
            return
        }
        begin(.postScript)
        // Un-quiescing the application must not inherit the job's cancellation: it gets its own timeout.
        let outcome = await Task { await scripts.runPostScript() }.value
        if !outcome.output.isEmpty { logger.info("post-script output: \(outcome.output)") }
        end(.postScript, Self.state(of: outcome), outcome.message)
        if outcome.code != 0 { update { $0.prePostEnabled = false } }
        if outcome.code != 0 && !outcome.continueBackup && failure == nil {
            throw JobFailure(code: outcome.code, message: "post-script: \(outcome.message)")
        }
    }

    /// Pre-connect, freeze, snapshot, thaw. Thaw always follows a successful freeze.
    private func snapshotPhase(until deadline: ContinuousClock.Instant) async throws(JobFailure) {
        try checkCancelled()
        begin(.preconnect)
        let reports = [settings.statusBlob, settings.logsBlob].compactMap { $0 }
        let hosts = settings.disks + reports
        let unreachable = await client.preconnect(
            settings.disks, alsoReaching: reports, timeout: min(client.configuration.connectTimeout, deadline - .now))
        for (origin, error) in unreachable.sorted(by: { $0.key < $1.key }) {
            logger.warning("pre-connect to \(origin) failed: \(error)")
        }
        end(.preconnect, unreachable.isEmpty, "\(Set(hosts.map(\.origin)).count) host(s)")
        try checkCancelled()

        if case .quiesce = options.database {
            // Nothing that can wait for the network stays inside the database's window.
            await readEncryptionSettings(until: deadline)
        }
        await prepareFreezeBeforeQuiesce()
        let quiesce = await quiesceDatabase()
        do throws(JobFailure) {
            // Retries end before the database guard's deadline: the quiesce must hold until the last snapshot.
            try await snapshotByMethod(
                until: quiesce.map { min(deadline, $0.deadline - options.freezeMargin) } ?? deadline)
        } catch {
            preparedFreeze.withLock { $0 = nil }
            await unquiesce(quiesce)
            throw error
        }
        preparedFreeze.withLock { $0 = nil }
        await unquiesce(quiesce)
    }

    /// With a database to quiesce, the freeze is prepared first (its guard started, the freeze lock taken, the
    /// mounts opened and flushed), so the database's window holds only the freeze, the snapshots and the thaw. A
    /// failure is kept for the freeze stage, which reports it as a freeze without preparation would.
    private func prepareFreezeBeforeQuiesce() async {
        guard case .quiesce(let quiescer) = options.database, options.scripts?.freezeEnabled ?? true,
            let freezer = options.freezer
        else { return }
        let prepared: Result<any PreparedFreeze, JobFailure>
        do {
            prepared = .success(
                try await freezer.prepare(timeout: options.freezeTimeout, freezeWithin: quiescer.timeout) {
                    [logger] in logger.warning("\($0)")
                })
        } catch {
            prepared = .failure((error as? JobFailure) ?? JobFailure(code: 121, message: "freeze failed: \(error)"))
        }
        preparedFreeze.withLock { $0 = prepared }
    }

    /// The snapshots by the chosen method (the host, the guest, or one after the other), each inside a freeze.
    private func snapshotByMethod(until deadline: ContinuousClock.Instant) async throws(JobFailure) {
        let (choice, probe) = hostState.withLock { ($0.choice, $0.probe) }
        switch (choice?.method, hostSnapshotter) {
        case (.onlyHost?, let host?):
            try await frozen(until: deadline) { await self.snapshotOnHost(host, until: $0) }
        case (.firstHostThenGuest?, let host?) where probe?.succeeded == true:
            try await frozen(until: deadline) { await self.snapshotOnHost(host, until: $0) }
        case (.firstGuestThenHost?, let host?):
            if try await snapshotOnGuestFirst(until: deadline) { return }
            try checkCancelled()
            try await frozen(until: deadline) { await self.snapshotOnHost(host, until: $0) }
        default:
            if choice?.method == .firstHostThenGuest, let code = probe?.code {
                logger.warning("presnapshot answered \(code): the guest takes the snapshots")
            }
            await readEncryptionSettings(until: deadline)
            try await frozen(until: deadline) { await self.snapshotDisks(until: $0) }
        }
    }

    /// firstGuestThenHost's guest part (host-snapshot.md §6); returns whether it is the end of the job. The host
    /// follows when every guest snapshot failed, or when the command turned stale during the guest's freeze: the
    /// host is then asked again for its clock (before the next freeze), by which the host's freeze judges the
    /// command's age. (A job without blobSASUri never gets here: the settings are refused with 76 unless an
    /// includedDisks flag forces onlyHost.)
    private func snapshotOnGuestFirst(until deadline: ContinuousClock.Instant) async throws(JobFailure) -> Bool {
        await readEncryptionSettings(until: deadline)
        do throws(JobFailure) {
            try await frozen(until: deadline) { await self.snapshotDisks(until: $0) }
        } catch  where error.code == .commandTooLate {
            logger.warning("\(error.message): asking the host (firstGuestThenHost)")
            await probeHost(until: deadline)
            return false
        }
        guard !live.current.disks.contains(where: { $0.state == .succeeded }) else { return true }
        logger.warning("no guest snapshot succeeded: asking the host (firstGuestThenHost)")
        return false
    }

    /// Freeze, `snapshot` (given the deadline inside the freeze), thaw. Thaw always follows a successful freeze.
    private func frozen(
        until deadline: ContinuousClock.Instant, _ snapshot: (ContinuousClock.Instant) async -> Void
    ) async throws(JobFailure) {
        let freezeStarted = ContinuousClock.now
        let frozen: (any FrozenFilesystems)?
        do throws(JobFailure) {
            frozen = try await freeze()
        } catch {
            guard crashConsistentSnapshotAllowed else { throw error }
            logger.warning(
                "freezing failed (code \(error.code)): taking a crash-consistent snapshot, as customSettings allow for a single-disk managed VM on a retry"
            )
            findings.withLock { $0.crashConsistentAfter = error }
            await snapshot(deadline)
            skip(.thaw, "nothing was frozen (freezing failed: crash-consistent snapshot)")
            return
        }
        var snapshotDeadline = deadline
        if let frozen {
            // The guard's deadline runs from before the first FIFREEZE (after its wait for the freeze lock): every
            // retry must end before it.
            snapshotDeadline = min(
                deadline, freezeStarted + frozen.lockWait + options.freezeTimeout - options.freezeMargin)
            do throws(JobFailure) {
                try checkCommandAge(after: "freezing")
            } catch {
                await thaw(frozen)
                throw error
            }
        }
        await snapshot(snapshotDeadline)
        await thaw(frozen)
    }

    /// A quiesce the job holds and the instant its guard releases it on its own.
    private struct DatabaseHold {
        var held: HeldQuiesce
        var deadline: ContinuousClock.Instant
    }

    /// The database stage's start: quiesces the workload.conf database (before the freeze; connecting happens
    /// here, never inside the freeze). A failure is recorded and the job goes on filesystem-consistent.
    private func quiesceDatabase() async -> DatabaseHold? {
        guard let database = options.database else {
            skip(.database, "no database named in workload.conf")
            return nil
        }
        begin(.database)
        switch database {
        case .refused(let failure):
            recordDatabaseFailure(failure)
            return nil
        case .quiesce(let quiescer):
            let started = ContinuousClock.now
            do {
                let held = try await quiescer.quiesce()
                logger.info(
                    "database: \(quiescer.engine.rawValue) quiesced in \(Self.milliseconds(.nanoseconds(Int64(clamping: held.quiesced.acquireNanoseconds)))) ms (connected in \(Self.milliseconds(.nanoseconds(Int64(clamping: held.quiesced.connectNanoseconds)))) ms)"
                )
                return DatabaseHold(held: held, deadline: started + quiescer.timeout)
            } catch {
                recordDatabaseFailure(error)
                return nil
            }
        }
    }

    /// The database stage's end, after the thaw: the release in the same session, and the window it was held.
    private func unquiesce(_ hold: DatabaseHold?) async {
        guard let hold else { return }
        let report = await Task { await hold.held.release() }.value
        guard let report else {
            recordDatabaseFailure(
                JobFailure(
                    code: 510,
                    message: "the database guard ended before the release: the quiesce did not hold to the end"))
            return
        }
        let window = Duration.nanoseconds(Int64(clamping: report.heldNanoseconds))
        findings.withLock { $0.databaseWindow = window }
        let held = Self.milliseconds(window)
        if let code = report.failureCode {
            let failure = JobFailure(code: ResultCode(code), message: report.failureMessage ?? "the release failed")
            recordDatabaseFailure(failure, detail: "\(failure.message) (held \(held) ms)")
            return
        }
        findings.withLock { $0.databaseReleased = true }
        let what =
            switch hold.held.engine {
            case .postgres: "CHECKPOINT before the freeze; session held \(held) ms (writes were not blocked)"
            case .oracle: "BEGIN BACKUP before the freeze, END BACKUP after the thaw; held \(held) ms"
            case .mysql: "FLUSH TABLES WITH READ LOCK released in the same session; writes blocked \(held) ms"
            case .mariadb: "BACKUP STAGE BLOCK_COMMIT ended in the same session; writes blocked \(held) ms"
            }
        end(.database, true, "\(hold.held.engine.rawValue): \(what)")
    }

    /// Ends the database stage as failed; the first 5xx becomes the job's health code.
    private func recordDatabaseFailure(_ failure: JobFailure, detail: String? = nil) {
        findings.withLock { if $0.databaseFailure == nil { $0.databaseFailure = failure } }
        end(.database, false, "code \(failure.code) \(failure.code.name ?? ""): \(detail ?? failure.message)")
    }

    // MARK: - Host path

    /// customSettings allow a crash-consistent snapshot after a failed freeze: a managed VM
    /// (`isManagedVm`), `canTakeCrashConsistentSnapshot`, a retry (`backupRetryCount` > 0) and exactly one disk.
    private var crashConsistentSnapshotAllowed: Bool {
        guard let custom = settings.host.custom, custom.isObject else { return false }
        return custom.isManagedVM == true && custom.canTakeCrashConsistentSnapshot && custom.backupRetryCount > 0
            && HostRequests.diskIDs(settings).count == 1
    }

    /// What the job knows about the host path.
    private struct HostState {
        var choice: SnapshotMethodChoice?
        var probe: HostSnapshotter.Probe?
        /// ADE on the guest path: each disk's DiskEncryptionSettings by blob URI (non-empty values only).
        var guestEncryption: [String: String] = [:]
        /// Whether `guestEncryption` was read (before a database quiesce, or when the guest path starts).
        var guestEncryptionRead = false
    }

    /// ADE on the guest path, before freezing (and before a database quiesce), once: each disk's `x-ms-meta-DiskEncryptionSettings`, kept by blob (a disk
    /// whose GET fails gets none; no other disk's value shifts onto it). The values are never logged.
    private func readEncryptionSettings(until deadline: ContinuousClock.Instant) async {
        guard settings.host.adeEnabled, !settings.disks.isEmpty,
            !hostState.withLock({ $0.guestEncryptionRead })
        else { return }
        let timeout = max(.milliseconds(1), min(.seconds(10), deadline - .now))
        let found = await withTaskGroup(of: (String, String?).self) { group in
            for uri in settings.disks {
                group.addTask { [client] in
                    let response = try? await client.metadata(uri, timeout: timeout)
                    let value = response.flatMap { $0.isSuccess ? $0.header("x-ms-meta-DiskEncryptionSettings") : nil }
                    return (uri.blobURI, value)
                }
            }
            var found: [String: String] = [:]
            for await (blob, value) in group { if let value, !value.isEmpty { found[blob] = value } }
            return found
        }
        hostState.withLock {
            $0.guestEncryption = found
            $0.guestEncryptionRead = true
        }
        logger.info(
            "ADE: DiskEncryptionSettings read for \(found.count) of \(settings.disks.count) disk(s) (carried onto their snapshots)"
        )
    }

    /// The presnapshot probe, before anything is frozen: for firstHostThenGuest it decides the path; otherwise it
    /// only gives the host's clock for the staleness check (when the command has a start time).
    private func probeHost(until deadline: ContinuousClock.Instant) async {
        guard let host = hostSnapshotter, let choice = hostState.withLock({ $0.choice }), choice.method.usesHost,
            choice.method == .firstHostThenGuest || settings.commandStartTime != nil || settings.host.adeEnabled
        else { return }
        let probe = await host.probe(
            withSettings: choice.method == .firstHostThenGuest || settings.host.adeEnabled,
            timeout: max(.milliseconds(1), min(WireServerClient.callTimeout, deadline - .now)))
        hostState.withLock { $0.probe = probe }
        update { $0.hostStatusCodePreSnapshot = probe.code }
    }

    /// The dosnapshot, inside the freeze: the host's entries replace the guest's disks in the report.
    private func snapshotOnHost(_ host: HostSnapshotter, until deadline: ContinuousClock.Instant) async {
        begin(.snapshot)
        let started = ContinuousClock.now
        let encryption = hostState.withLock { $0.probe?.encryption }
        let result = await host.snapshot(
            encryption: encryption, timeout: max(.milliseconds(1), min(WireServerClient.callTimeout, deadline - .now)))
        let took = ContinuousClock.now - started
        update {
            $0.snapshotCreator = .host
            $0.disks = result.disks
            $0.directDriveTokens = result.tokens
            $0.hostStatusCodeDoSnapshot = result.code
            $0.snapshotDuration = took
        }
        for disk in result.disks { continuation.yield(.disk(disk, at: Date())) }
        let succeeded = result.disks.filter { $0.state == .succeeded }.count
        end(
            .snapshot, result.code.isSuccess && succeeded == result.disks.count && succeeded > 0,
            "host (dosnapshot \(result.code)): \(succeeded) of \(result.disks.count) disk(s) snapshotted in \(Self.milliseconds(took)) ms"
        )
    }

    private func freeze() async throws(JobFailure) -> (any FrozenFilesystems)? {
        guard options.scripts?.freezeEnabled ?? true else {
            skip(.freeze, "fsFreezeEnabled is false in the script configuration")
            return nil
        }
        guard let freezer = options.freezer else {
            skip(.freeze, "freezing is off")
            return nil
        }
        begin(.freeze)
        log.hold()
        reporter.hold()
        let started = ContinuousClock.now
        do {
            let frozen: any FrozenFilesystems
            if let prepared = preparedFreeze.withLock({ $0.take() }) {
                frozen = try await prepared.get().freeze()
            } else {
                frozen = try await freezer.freeze(timeout: options.freezeTimeout) { [logger] in
                    logger.warning("\($0)")
                }
            }
            let took = ContinuousClock.now - started
            update { $0.freezeDuration = took }
            end(.freeze, true, "froze \(frozen.mounts.joined(separator: ", ")) in \(Self.milliseconds(took)) ms")
            return frozen
        } catch {
            log.resume()
            reporter.resume()
            let failure = (error as? JobFailure) ?? JobFailure(code: 121, message: "freeze failed: \(error)")
            end(.freeze, false, failure.message)
            throw failure
        }
    }

    private func thaw(_ frozen: (any FrozenFilesystems)?) async {
        guard let frozen else {
            skip(.thaw, "nothing was frozen")
            return
        }
        begin(.thaw)
        let started = ContinuousClock.now
        // Thawing must survive a cancellation of the job.
        let report = await Task { await frozen.thaw() }.value
        let took = ContinuousClock.now - started
        log.resume()
        reporter.resume()
        update {
            $0.thawDuration = took
            if report.failures.isEmpty && !report.thawedByDeadline { $0.consistency = .fileSystem }
        }
        let problems = ThawReport.describe(report.failures)
        let window = Self.milliseconds(report.freezeWindow)
        if report.thawedByDeadline { logger.error("the freeze guard thawed on its deadline before the snapshot ended") }
        for problem in problems { logger.error("thaw failed: \(problem)") }
        findings.withLock {
            $0.thawProblem = report.thawedByDeadline || !problems.isEmpty
            $0.freezeWindow = report.freezeWindow
        }
        let note = report.freezeNote.map { "; \($0)" } ?? ""
        end(.thaw, problems.isEmpty && !report.thawedByDeadline, "freeze window \(window) ms\(note)")
    }

    private func snapshotDisks(until deadline: ContinuousClock.Instant) async {
        begin(.snapshot)
        let started = ContinuousClock.now
        let snapshotter = DiskSnapshotter(
            client: client, metadata: settings.backupMetadata, retry: options.retry, logger: logger)
        let limit = max(1, options.snapshotConcurrency ?? settings.disks.count)
        let encryption = hostState.withLock { $0.guestEncryption }
        let clientFailure = await withTaskGroup(of: Bool.self) { group in
            var refused = false
            for (index, uri) in settings.disks.enumerated() {
                if index >= limit, let done = await group.next() { refused = refused || done }
                group.addTask {
                    let extra = encryption[uri.blobURI].map {
                        [MetadataEntry(key: "DiskEncryptionSettings", value: $0)]
                    }
                    let (_, clientFailure) = await snapshotter.snapshot(
                        uri, index: index, extraMetadata: extra ?? [], until: deadline
                    ) { progress in
                        self.continuation.yield(.disk(progress, at: Date()))
                        self.update(stageChanged: false) { $0.disks[index] = progress }
                    }
                    return clientFailure
                }
            }
            return await group.reduce(refused) { $0 || $1 }
        }
        let took = ContinuousClock.now - started
        update { $0.snapshotDuration = took }
        let disks = live.current.disks
        findings.withLock { $0.clientRefused = clientFailure }
        let succeeded = disks.filter { $0.state == .succeeded }.count
        end(
            .snapshot, succeeded == disks.count,
            "\(succeeded) of \(disks.count) disk(s) snapshotted in \(Self.milliseconds(took)) ms")
    }

    private func outcome(preScript: ScriptOutcome) -> Terminal {
        let report = live.current
        if let freezeFailure = findings.withLock({ $0.crashConsistentAfter }) {
            // Exactly one snapshot, and it succeeded: code 1 with the freeze error kept as the health code.
            guard report.disks.count == 1, report.disks[0].state == .succeeded else {
                return Terminal(
                    code: freezeFailure.code, health: freezeFailure.code,
                    message: "\(freezeFailure.message); the crash-consistent snapshot failed too")
            }
            update { $0.consistency = .crashConsistentFallback }
            return Terminal(
                code: .success, health: freezeFailure.code,
                message: "1 disk snapshot taken (crash-consistent: \(freezeFailure.message))")
        }
        if report.snapshotCreator == .host {
            if let failed = HostOutcome.classify(
                report.disks, thawProblem: findings.withLock { $0.thawProblem },
                preSnapshot: report.hostStatusCodePreSnapshot, doSnapshot: report.hostStatusCodeDoSnapshot)
            {
                return Terminal(code: failed.code, health: failed.health, message: failed.message)
            }
        } else if report.disks.isEmpty {
            // No blobSASUri, and the host did not take the snapshots (its probe failed).
            return Terminal(
                code: .snapshotFailed, health: .snapshotFailed,
                message: "no disk was snapshotted: the settings list no blobSASUri and the host path was not taken")
        } else if let failed = SnapshotOutcome.classify(
            report.disks, clientFailure: findings.withLock { $0.clientRefused })
        {
            return Terminal(code: failed.code, health: failed.health, message: failed.message)
        }
        if findings.withLock({ $0.thawProblem }) {
            return Terminal(code: .error, health: .error, message: "snapshots taken, but thawing reported a problem")
        }
        let scriptsClean = preScript.ran && preScript.code == 0 && report.prePostEnabled
        let frozen = report.consistency == .fileSystem
        let database = findings.withLock { $0 }
        let applicationConsistent: Bool
        if options.database != nil {
            // The database counts only when its quiesce held from before the freeze to after the thaw.
            applicationConsistent =
                database.databaseFailure == nil && database.databaseReleased && frozen
                && (!preScript.ran || scriptsClean)
        } else {
            // With fsFreezeEnabled false in the script config, the scripts alone make the snapshot consistent.
            applicationConsistent = scriptsClean && (frozen || options.scripts?.freezeEnabled == false)
        }
        if applicationConsistent { update { $0.consistency = .application } }
        let code: ResultCode = applicationConsistent ? .applicationConsistent : .success
        let kind =
            code == .applicationConsistent
            ? "application-consistent" : (frozen ? "filesystem-consistent" : "crash-consistent")
        let creator = report.snapshotCreator == .host ? " by the host" : ""
        let message = "\(report.disks.count) disk snapshot(s) taken\(creator) (\(kind))"
        if let failure = database.databaseFailure {
            let name = failure.code.name.map { " \($0)" } ?? ""
            return Terminal(
                code: code, health: failure.code,
                message: "\(message); the database was not quiesced: code \(failure.code)\(name): \(failure.message)")
        }
        return Terminal(code: code, health: code, message: message)
    }

    // MARK: - Reporting

    private func report(_ terminal: Terminal, until deadline: ContinuousClock.Instant) async -> JobResult {
        if let reason = control.withLock({ $0.cancelReason }), terminal.code != .alreadyProcessed {
            logger.warning("job interrupted: \(reason)")
        }
        let code = terminal.code
        let repeated = code == .alreadyProcessed
        if !repeated { begin(.report) }
        var reportRecord: StageRecord?
        update {
            $0.finished = true
            $0.code = code
            $0.healthStatusCode = terminal.health
            $0.healthState = terminal.health.healthState
            $0.status = code.statusWord
            $0.message = terminal.message
            $0.updated = Date()
            if JobHistoryRecord.isGoodSnapshot(
                code: code, healthStatusCode: terminal.health, disks: $0.disks.map(\.state))
            {
                $0.lastSuccessUTC = ISO8601Timestamp.format($0.updated)
            }
            if repeated {
                let record = StageRecord(
                    skipped: .report, at: $0.updated, reason: "a repeat of a handled job: the first job's status stands"
                )
                $0.stages.append(record)
                reportRecord = record
            } else {
                reportRecord = Self.close(.report, in: &$0, .succeeded, "terminal status: code \(code)", at: $0.updated)
            }
        }
        let report = live.current
        if let reportRecord { continuation.yield(.stage(reportRecord)) }
        if code.isSuccess {
            logger.info("job finished: code \(code): \(terminal.message)")
        } else {
            logger.error("job failed: code \(code): \(terminal.message)")
        }
        let final: JobReport
        let delivery: StatusDelivery
        if repeated {
            reporter.abandon()
            // A repeat keeps the first job's outcome; only a missing file or enable's transitioning one is replaced.
            if let statusFile, statusFile.writtenStatus().map({ $0 == "transitioning" }) ?? true {
                try? statusFile.write(report)
            }
            (final, delivery) = (report, .unchanged)
        } else {
            async let logUploaded: Void = uploadLog(until: deadline)
            let uploaded: Bool
            (final, uploaded) = await reporter.finish(report, deadline: deadline)
            await logUploaded
            delivery = settings.statusBlob == nil ? .noStatusBlob : uploaded ? .uploaded : .failed
        }
        if let failure = final.statusUploadFailure { logger.error("terminal status upload failed: \(failure)") }
        if let failure = reporter.fileFailure { logger.error("status file could not be written: \(failure)") }
        if let failure = log.writeFailure { logger.error("extension.log could not be written: \(failure)") }
        let result = JobResult(
            code: final.code, healthStatusCode: final.healthStatusCode, status: final.status, message: final.message,
            disks: final.disks, freezeWindowMilliseconds: findings.withLock { $0.freezeWindow }.map(Self.milliseconds),
            databaseWindowMilliseconds: findings.withLock { $0.databaseWindow }.map(Self.milliseconds),
            statusDelivery: delivery, statusUploadFailure: final.statusUploadFailure)
        if !repeated {
            let problems = await recorder.finished(
                taskID: settings.taskID, sequenceNumber: settings.sequenceNumber,
                startedAt: final.stages.first?.startedAt ?? final.updated, endedAt: final.updated, result: result,
                consistency: final.consistency)
            for problem in problems { logger.error("\(problem)") }
        }
        continuation.yield(.finished(result))
        continuation.finish()
        return result
    }

    private func uploadLog(until deadline: ContinuousClock.Instant) async {
        guard let logsBlob = settings.logsBlob else { return }
        let body = Data(log.jobLog.utf8)
        let outcome = await options.retry.run(until: deadline) { [client] timeout async throws(BlobTransportError) in
            try await client.putDocument(
                logsBlob, body: body, contentType: "text/plain; charset=utf-8", timeout: timeout)
        }
        if !outcome.succeeded { logger.error("log upload failed: \(StatusReporter.describe(outcome))") }
    }

    // MARK: - Helpers

    /// What the snapshot phase found beyond the disks' progress.
    private struct Findings {
        /// The freeze failure a crash-consistent snapshot was taken after.
        var crashConsistentAfter: JobFailure?
        var thawProblem = false
        var clientRefused = false
        var freezeWindow: Duration?
        /// The first database failure (5xx): the job's health code.
        var databaseFailure: JobFailure?
        /// Whether the database guard confirmed the release after the thaw.
        var databaseReleased = false
        /// From the quiesce statement to the confirmed release.
        var databaseWindow: Duration?
    }

    private let findings = Mutex(Findings())
    /// The freeze prepared before a database quiesce, until the freeze stage takes it.
    private let preparedFreeze = Mutex<Result<any PreparedFreeze, JobFailure>?>(nil)
    private let hostState = Mutex(HostState())

    /// Throws code 2 when the job was cancelled. After every stage ran to its end, only a cancellation someone
    /// asked for (a signal, the caller) counts: the deadline watchdog firing while a slow machine finished the
    /// last steps must not turn the disks' real outcome into "interrupted".
    private func checkCancelled(afterEveryStage: Bool = false) throws(JobFailure) {
        guard Task.isCancelled else { return }
        let reason = control.withLock { $0.cancelReason } ?? "cancelled"
        if afterEveryStage && reason == Self.deadlineReason { return }
        throw JobFailure(code: 2, message: "job interrupted: \(reason)")
    }

    /// Why the watchdog cancels a job that outlived its deadline.
    static let deadlineReason = "the job deadline passed"

    /// Starts a stage: an event, and (except for the snapshot stage, reported like disk progress so that the
    /// requests have the machine to themselves) a status file write and an immediate status upload.
    private func begin(_ stage: JobStage) {
        let record = StageRecord(stage: stage, startedAt: Date())
        continuation.yield(.stage(record))
        update(stageChanged: stage != .snapshot) {
            $0.stage = stage
            $0.stages.append(record)
        }
    }

    private func end(_ stage: JobStage, _ succeeded: Bool, _ detail: String) {
        end(stage, succeeded ? .succeeded : .failed, detail)
    }

    /// Ends a stage: its record in the live report, and the same record as an event.
    private func end(_ stage: JobStage, _ state: StageRecord.State, _ detail: String) {
        let detail = Redactor.redact(detail)
        if state == .failed {
            logger.warning("\(stage.rawValue): \(detail)")
        } else {
            logger.info("\(stage.rawValue): \(state == .skipped ? "skipped: " : "")\(detail)")
        }
        var closed: StageRecord?
        update { closed = Self.close(stage, in: &$0, state, detail, at: Date()) }
        if let closed { continuation.yield(.stage(closed)) }
    }

    /// Records a stage that does not apply to this job: one `skipped` record and event, with the reason.
    private func skip(_ stage: JobStage, _ reason: String) {
        logger.info("\(stage.rawValue): skipped: \(reason)")
        let record = StageRecord(skipped: stage, at: Date(), reason: reason)
        update { $0.stages.append(record) }
        continuation.yield(.stage(record))
    }

    /// Ends the stage's running record, if it has one, and returns it.
    @discardableResult
    private static func close(
        _ stage: JobStage, in report: inout JobReport, _ state: StageRecord.State, _ detail: String, at date: Date
    ) -> StageRecord? {
        guard let index = report.stages.lastIndex(where: { $0.stage == stage && $0.state == .running }) else {
            return nil
        }
        report.stages[index].end(state, at: date, detail: detail)
        return report.stages[index]
    }

    /// A script phase that found no script to run is skipped, not succeeded.
    private static func state(of outcome: ScriptOutcome) -> StageRecord.State {
        if outcome.code != 0 { return .failed }
        return outcome.ran ? .succeeded : .skipped
    }

    /// Changes the live report in place and tells the status reporter (once dedupe has passed). The hand-over
    /// happens under the lock: disks progress concurrently, and the reporter must never get an older report after a
    /// newer one. Nothing keeps a copy: the next change would copy every disk.
    private func update(stageChanged: Bool = false, _ change: (inout JobReport) -> Void) {
        live.change { report in
            change(&report)
            report.updated = Date()
            if publishing.load(ordering: .acquiring) { reporter.update(report, stageChanged: stageChanged) }
        }
    }

    private static func milliseconds(_ duration: Duration) -> Double {
        (Double(duration / .microseconds(1)) / 1000 * 10).rounded() / 10
    }
}
