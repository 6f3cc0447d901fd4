import Basics
import Engine
import Foundation

/// `vmsnap status --once`: the monitor's model printed once, as text for tickets or JSON for scripts.
public struct StatusReport: Sendable {
    /// The JSON schema identifier; bump the number on incompatible changes.
    public static let schema = "vmsnap.status/3"

    public var job: JobSnapshot?
    public var sources: [SourceFreshness]
    public var generatedAt: Date
    /// Catalog entries for the codes in view.
    public var explanations: [CodeExplanation]
    /// The machine the report was made on.
    public var machine: MachineIdentity?
    /// When the newest good snapshot ended, from the document or the local job history.
    public var lastSuccess: Date?

    public init(
        job: JobSnapshot?, sources: [SourceFreshness], generatedAt: Date,
        explanations: [CodeExplanation] = [], machine: MachineIdentity? = nil, lastSuccess: Date? = nil
    ) {
        self.job = job
        self.sources = sources
        self.generatedAt = generatedAt
        self.explanations = explanations
        self.machine = machine
        self.lastSuccess = lastSuccess
    }

    /// Reads every source once (status blob, newest status file) and reports the newest document.
    public static func collect(
        locations: MonitorSourceLocations, fetcher: (any StatusBlobFetching)?, now: Date = Date(),
        machine: MachineIdentity? = nil
    ) async -> StatusReport {
        var sources = locations.freshness().filter { $0.name != MonitorSourceLocations.logName }
        var documents: [JobSnapshot] = []
        func record(_ name: String, _ change: (inout SourceFreshness) -> Void) {
            if let i = sources.firstIndex(where: { $0.name == name }) { change(&sources[i]) }
        }
        if let fetcher {
            switch await StatusBlobPoller(fetcher: fetcher, interval: locations.interval).poll() {
            case .updated(let snapshot):
                documents.append(snapshot)
                record(MonitorSourceLocations.statusBlobName) { $0.recordSuccess(at: now) }
            case .unchanged: record(MonitorSourceLocations.statusBlobName) { $0.recordSuccess(at: now) }
            case .failed(let message):
                record(MonitorSourceLocations.statusBlobName) { $0.recordFailure(message, at: now) }
            }
        }
        switch LocalSources(locations: locations).changedStatusFile() {
        case .success(let snapshot):
            if let snapshot { documents.append(snapshot) }
            record(MonitorSourceLocations.statusFileName) { $0.recordSuccess(at: now) }
        case .failure(let error):
            record(MonitorSourceLocations.statusFileName) { $0.recordFailure(error.description, at: now) }
        }
        var job = documents.max { ($0.timestamp ?? .distantPast) < ($1.timestamp ?? .distantPast) }
        if var chosen = job {
            let plugin = locations.pluginDirectory.map(PluginDirectory.init(path:))
            LocalSources.label(&chosen, against: documents, newestSettings: plugin?.newestSettings?.sequence)
            if chosen.origin == .statusFile, let log = locations.logFile {
                JobLogFacts.fill(&chosen, from: LogTailer(path: log).poll() ?? [])
            }
            job = chosen
        }
        let explanations = job.map { codesInView($0).compactMap(CodeExplanation.lookup) } ?? []
        let journal = locations.pluginDirectory.flatMap { JobHistory(directory: $0).lastSuccess() }
        return StatusReport(
            job: job, sources: sources, generatedAt: now, explanations: explanations, machine: machine,
            lastSuccess: LastGoodSnapshot.newest(job: job, journal: journal))
    }

    /// Why there is no job to judge; nil when there is one.
    public var noJobReason: NoJobReason? {
        guard job == nil else { return nil }
        return NoJobReason.judge(sources: sources)
    }

    /// The command's exit status: the verdict's, or for no job the reason's.
    public var exitStatus: Int32 { noJobReason?.exitStatus ?? judgement.verdict.exitStatus }

    /// The job's verdict with its reasons (NO JOB without a document).
    public var judgement: JobJudgement {
        job?.judge(now: generatedAt)
            ?? JobJudgement(verdict: .noJob, reasons: [noJobReason?.explanation ?? "no status document found"])
    }

    /// The codes worth explaining, most specific first: each failed disk's storage error, then the health status
    /// code when it says more than the code (761: some disks failed, where 76 alone would read "every disk"), then
    /// the result code unless it is a plain success.
    public static func codesInView(_ job: JobSnapshot) -> [String] {
        var codes: [String] = []
        for disk in job.disks {
            if let code = disk.progress.errorCode, !codes.contains(code) { codes.append(code) }
        }
        if let health = job.healthStatusCode, !health.isSuccess, health != job.code {
            codes.append(String(health.rawValue))
            if health == .someSnapshotsFailed { return codes }
        }
        if let code = job.code, code != .success, code != .applicationConsistent {
            codes.append(String(code.rawValue))
        }
        return codes
    }

    /// The JSON document (sorted keys, ISO 8601 UTC times, no signatures), schema `vmsnap.status/2`
    /// (`schemas/vmsnap.status.schema.json`).
    public func json() -> Data {
        let judgement = judgement
        var root: [String: Any] = [
            "schema": Self.schema, "generatedAt": Self.iso(generatedAt), "verdict": judgement.verdict.rawValue,
            "reasons": judgement.reasons, "exitStatus": Int(exitStatus),
            "noJobReason": noJobReason?.rawValue ?? NSNull(),
            "documentAgeSeconds": Self.number(judgement.documentAge.map { $0.rounded() }),
            "lastSuccessUTC": lastSuccess.map(Self.iso) ?? NSNull(),
            "machine": machine.map { machine -> [String: Any] in
                [
                    "hostname": machine.hostname, "vmId": machine.vmID ?? NSNull(),
                    "resourceId": machine.resourceID ?? NSNull(),
                ]
            } ?? NSNull(),
            "sources": sources.map { source -> [String: Any] in
                [
                    "name": source.name, "stale": source.isStale(now: generatedAt),
                    "lastSuccess": source.lastSuccess.map(Self.iso) ?? NSNull(),
                    "failingSince": source.failingSince.map(Self.iso) ?? NSNull(),
                    "lastError": source.lastError ?? NSNull(),
                ]
            },
            "explanations": explanations.map {
                ["code": $0.code, "name": $0.name, "meaning": $0.meaning, "action": $0.action]
            },
        ]
        root["job"] = job.map(Self.jobObject) ?? NSNull()
        let options: JSONSerialization.WritingOptions = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do {
            data = try JSONSerialization.data(withJSONObject: root, options: options)
        } catch {
            // Never an empty document: say what failed, in the same schema.
            let failure: [String: Any] = [
                "schema": Self.schema, "generatedAt": Self.iso(generatedAt), "verdict": judgement.verdict.rawValue,
                "exitStatus": Int(exitStatus),
                "error": "the report could not be encoded as JSON: \(error)",
            ]
            data = (try? JSONSerialization.data(withJSONObject: failure, options: options)) ?? Data("{}".utf8)
        }
        return Data(Redactor.redact(String(decoding: data, as: UTF8.self)).utf8) + Data("\n".utf8)
    }

    private static func jobObject(_ job: JobSnapshot) -> [String: Any] {
        func value<T>(_ v: T?) -> Any { v.map { $0 as Any } ?? NSNull() }
        let cause = job.cause.map { cause -> [String: Any] in
            [
                "subject": cause.subject, "httpStatus": value(cause.httpStatus),
                "storageErrorCode": value(cause.storageError?.rawValue), "message": cause.message,
                "action": value(cause.action), "failedDisks": cause.failedDisks, "totalDisks": cause.totalDisks,
            ]
        }
        return [
            "origin": job.origin.rawValue, "extensionName": value(job.extensionName),
            "extensionVersion": value(job.extensionVersion), "taskId": value(job.taskID),
            "sequenceNumber": value(job.sequenceNumber), "newerSequenceNumber": value(job.newerSequenceNumber),
            "status": job.status.description, "code": value(job.code?.rawValue), "codeName": value(job.code?.name),
            "healthState": value(job.healthState), "healthStatusCode": value(job.healthStatusCode?.rawValue),
            "message": job.message, "notes": job.notes, "timestamp": value(job.timestamp.map(iso)),
            "commandStartTime": value(job.commandStartTime.map(iso)), "deadline": value(job.deadline.map(iso)),
            "freezeWindowSeconds": number(job.freezeWindowSeconds), "cause": value(cause),
            "lastSuccessUTC": value(job.lastSuccess.map(iso)),
            "phases": job.phases.map {
                [
                    "stage": $0.stage.rawValue, "state": $0.state.rawValue,
                    "startedAt": value($0.startedAt.map(iso)), "elapsedSeconds": number($0.elapsedSeconds),
                    "detail": $0.detail,
                ]
            },
            "disks": job.disks.map { disk -> [String: Any] in
                let p = disk.progress
                return [
                    "index": p.index, "label": disk.label, "blob": p.blob, "blobUri": p.blobURI,
                    "account": p.account, "container": p.container, "lun": value(disk.lun), "state": p.state.rawValue,
                    "attempts": value(disk.attemptsKnown ? p.attempts : nil),
                    "latencyMilliseconds": number(p.latencyMilliseconds), "httpStatus": value(p.httpStatus),
                    "errorCode": value(p.errorCode), "errorMessage": value(p.errorMessage),
                    "requestId": value(p.requestID), "snapshotTime": value(p.snapshotTime),
                ]
            },
        ]
    }

    /// A finite number rounded to microseconds (no float noise such as 150.77437700000004), else null.
    static func number(_ value: Double?) -> Any {
        guard let value, value.isFinite else { return NSNull() }
        return Decimal(string: String(format: "%.6f", value)).map { $0 as NSDecimalNumber } ?? NSNull()
    }

    /// Human-readable lines: times in `zone` with its label and the age beside them.
    public func text(zone: ClockZone = .local) -> String {
        var lines: [String] = []
        let clock = { (date: Date) in Self.dateTime(date, zone: zone) }
        let judgement = judgement
        lines.append("vmsnap status at \(clock(generatedAt)): \(judgement.verdict.label)")
        if let machine { lines.append("  machine   \(machine.summary)") }
        if let lastSuccess {
            let age = SourceFreshness.age(generatedAt.timeIntervalSince(lastSuccess))
            lines.append("  last good snapshot \(clock(lastSuccess)), \(age) ago")
        }
        guard let job else {
            lines.append("no status document found (status blob, status file)")
            if let reason = noJobReason { lines.append("  why       \(reason.explanation)") }
            lines += sources.map { "  source    \($0.summary(now: generatedAt, zone: zone))" }
            return Redactor.redact(lines.joined(separator: "\n") + "\n")
        }
        for reason in judgement.reasons { lines.append("  why       \(reason)") }
        var codeText = job.code.map { "code \($0)" + ($0.name.map { " \($0)" } ?? "") } ?? "no code"
        if let health = job.healthStatusCode, health != job.code { codeText += ", health status \(health)" }
        lines.append("  job       \(codeText) (status word \(job.status))")
        var task = "  task      \(job.taskID ?? "-")  sequence \(job.sequenceNumber.map(String.init) ?? "-")"
        if let newer = job.newerSequenceNumber { task += " (an older job: the newest settings are sequence \(newer))" }
        lines.append(task)
        lines.append("  extension \(job.extensionName ?? "-") \(job.extensionVersion ?? "")")
        if let stamp = job.timestamp {
            let age = SourceFreshness.age(generatedAt.timeIntervalSince(stamp))
            lines.append("  written   \(clock(stamp)), \(age) ago (\(job.origin.rawValue))")
        }
        if !job.message.isEmpty { lines.append("  message   \(job.message)") }
        if let cause = job.cause, judgement.verdict != .succeeded {
            lines.append("  cause     \(cause.headline)")
            if !cause.message.isEmpty { lines.append("            \(cause.message)") }
            if let action = cause.action { lines.append("  action    \(action)") }
        }
        for note in job.notes { lines.append("  note      \(note)") }
        let phases = job.phases.filter(\.isShown).map { phase in
            // The database phase's detail says the window even on success.
            let detailed = !phase.detail.isEmpty && (phase.state != .succeeded || phase.stage == .database)
            return "\(phase.stage.rawValue) \(phase.state.rawValue)"
                + (phase.elapsedSeconds.map { String(format: " %.2fs", $0) } ?? "")
                + (detailed ? " (\(phase.detail))" : "")
        }
        if !phases.isEmpty { lines.append("  phases    \(phases.joined(separator: ", "))") }
        let (done, total) = job.diskProgress
        let failed = job.disks.filter { $0.progress.state == .failed }.count
        lines.append("  disks     \(done)/\(total) finished, \(failed) failed")
        for disk in job.disks {
            let p = disk.progress
            var row = "    \(disk.label)  \(p.account)/\(p.container)  \(p.state.rawValue)"
            row += "  attempts \(disk.attemptsKnown ? String(p.attempts) : "unknown")"
            if let lun = disk.lun { row += "  lun \(lun)" }
            if let path = p.path { row += "  via \(path.rawValue)" }
            if let time = p.snapshotTime { row += "  snapshot \(time)" }
            if let directDrive = p.directDrive { row += "  DirectDrive snapshot \(directDrive.id)" }
            if p.state == .failed { row += "  error \(p.errorSummary)" }
            if let id = p.requestID { row += "  request \(id)" }
            lines.append(row)
        }
        for entry in explanations {
            lines.append("  explain   \(entry.code) \(entry.name): \(entry.meaning)")
            lines.append("            what to do: \(entry.action)")
        }
        lines += sources.map { "  source    \($0.summary(now: generatedAt, zone: zone))" }
        return Redactor.redact(lines.joined(separator: "\n") + "\n")
    }

    private static func iso(_ date: Date) -> String { ISO8601Timestamp.format(date) }

    /// `2026-12-01 13:51:00 UTC` in the zone.
    public static func dateTime(_ date: Date, zone: ClockZone) -> String {
        let local = date.plausibleWholeSecondsSince1970 + zone.secondsFromGMT(for: date)
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let (year, month, day) = CivilTime.civil(fromDays: days)
        let pad = { (value: Int) in value < 10 ? "0\(value)" : String(value) }
        return "\(year)-\(pad(month))-\(pad(day)) " + SourceFreshness.clock(date, zone: zone)
            + " \(zone.abbreviation(for: date))"
    }
}
