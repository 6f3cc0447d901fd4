import Foundation

/// `vmsnap status --once`: the monitor's model printed once, as text for tickets or JSON for scripts.
public struct StatusReport: Sendable {
    /// The JSON schema identifier; bump the number on incompatible changes.
    public static let schema = "vmsnap.status/1"

    public var job: JobSnapshot?
    public var sources: [SourceFreshness]
    public var generatedAt: Date
    /// Catalog entries for the codes in view.
    public var explanations: [CodeExplanation]

    public init(
        job: JobSnapshot?, sources: [SourceFreshness], generatedAt: Date,
        explanations: [CodeExplanation] = []
    ) {
        self.job = job
        self.sources = sources
        self.generatedAt = generatedAt
        self.explanations = explanations
    }

    /// Reads every source once (status blob, newest status file) and reports the newest document.
    public static func collect(
        locations: MonitorSourceLocations, fetcher: (any StatusBlobFetching)?, now: Date = Date()
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
        let job = documents.max { ($0.timestamp ?? .distantPast) < ($1.timestamp ?? .distantPast) }
        let explanations = job.map { codesInView($0).compactMap(CodeExplanation.lookup) } ?? []
        return StatusReport(job: job, sources: sources, generatedAt: now, explanations: explanations)
    }

    /// The job's health (unknown without a job).
    public var health: JobHealth { job?.health(now: generatedAt) ?? .unknown }

    /// The codes worth explaining: the result code unless plain success, the health status code, disk errors.
    public static func codesInView(_ job: JobSnapshot) -> [String] {
        var codes: [String] = []
        if let code = job.code, code > 1 { codes.append(String(code)) }
        if let health = job.healthStatusCode, health > 1, health != job.code { codes.append(String(health)) }
        for disk in job.disks {
            if let code = disk.progress.errorCode, !codes.contains(code) { codes.append(code) }
        }
        return codes
    }

    /// The JSON document (sorted keys, ISO 8601 times, no signatures).
    public func json() -> Data {
        var root: [String: Any] = [
            "schema": Self.schema, "generatedAt": Self.iso(generatedAt), "health": health.rawValue,
            "exitStatus": Int(health.exitStatus),
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
                "schema": Self.schema, "generatedAt": Self.iso(generatedAt), "health": health.rawValue,
                "exitStatus": Int(health.exitStatus), "error": "the report could not be encoded as JSON: \(error)",
            ]
            data = (try? JSONSerialization.data(withJSONObject: failure, options: options)) ?? Data("{}".utf8)
        }
        return Data(Redactor.redact(String(decoding: data, as: UTF8.self)).utf8) + Data("\n".utf8)
    }

    private static func jobObject(_ job: JobSnapshot) -> [String: Any] {
        func value<T>(_ v: T?) -> Any { v.map { $0 as Any } ?? NSNull() }
        // JSON has no NaN or infinity: such a number is reported as null.
        func value(_ v: Double?) -> Any { v.flatMap { $0.isFinite ? $0 : nil } ?? NSNull() }
        return [
            "origin": job.origin.rawValue, "extensionName": value(job.extensionName),
            "extensionVersion": value(job.extensionVersion), "taskId": value(job.taskID),
            "sequenceNumber": value(job.sequenceNumber), "status": job.status, "code": value(job.code),
            "healthState": value(job.healthState), "healthStatusCode": value(job.healthStatusCode),
            "message": job.message, "notes": job.notes, "timestamp": value(job.timestamp.map(iso)),
            "commandStartTime": value(job.commandStartTime.map(iso)),
            "freezeWindowSeconds": value(job.freezeWindowSeconds),
            "phases": job.phases.map {
                [
                    "stage": $0.stage.rawValue, "state": $0.state.rawValue, "elapsedSeconds": value($0.elapsedSeconds),
                    "detail": $0.detail,
                ]
            },
            "disks": job.disks.map { disk -> [String: Any] in
                let p = disk.progress
                return [
                    "index": p.index, "blob": p.blob, "blobUri": p.blobURI, "account": p.account,
                    "container": p.container, "lun": value(disk.lun), "state": p.state.rawValue, "attempts": p.attempts,
                    "latencyMilliseconds": value(p.latencyMilliseconds), "httpStatus": value(p.httpStatus),
                    "errorCode": value(p.errorCode), "errorMessage": value(p.errorMessage),
                    "requestId": value(p.requestID), "snapshotTime": value(p.snapshotTime),
                ]
            },
        ]
    }

    /// Human-readable lines.
    public func text(zone: ClockZone = .local) -> String {
        var lines: [String] = []
        let clock = { (date: Date) in Self.dateTime(date, zone: zone) }
        lines.append("vmsnap status at \(clock(generatedAt)): \(health.rawValue.uppercased())")
        guard let job else {
            lines.append("no status document found (status blob, status file)")
            lines += sources.map { "  source  \($0.summary(now: generatedAt, zone: zone))" }
            return lines.joined(separator: "\n") + "\n"
        }
        let codeText = job.code.map { "code \($0)" } ?? "no code"
        let healthText = job.healthStatusCode.map { ", health status \($0)" } ?? ""
        lines.append("  job       \(job.status) \(codeText)\(healthText)")
        lines.append("  task      \(job.taskID ?? "-")  sequence \(job.sequenceNumber.map(String.init) ?? "-")")
        lines.append("  extension \(job.extensionName ?? "-") \(job.extensionVersion ?? "")")
        if let stamp = job.timestamp { lines.append("  written   \(clock(stamp)) (\(job.origin.rawValue))") }
        if health == .stuck {
            lines.append(
                "  STUCK     no terminal status since the document was written; the job never reported an outcome")
        }
        if !job.message.isEmpty { lines.append("  message   \(job.message)") }
        for note in job.notes { lines.append("  note      \(note)") }
        let phases = job.phases.map { phase in
            "\(phase.stage.rawValue) \(phase.state.rawValue)"
                + (phase.elapsedSeconds.map { String(format: " %.2fs", $0) } ?? "")
                + (phase.detail.isEmpty || phase.state == .succeeded ? "" : " (\(phase.detail))")
        }
        if !phases.isEmpty { lines.append("  phases    \(phases.joined(separator: ", "))") }
        let (done, total) = job.diskProgress
        let failed = job.disks.filter { $0.progress.state == .failed }.count
        lines.append("  disks     \(done)/\(total) finished, \(failed) failed")
        for disk in job.disks {
            let p = disk.progress
            var row =
                "    \(p.index) \(p.blob)  \(p.account)/\(p.container)  \(p.state.rawValue)  attempts \(p.attempts)"
            if let lun = disk.lun { row += "  lun \(lun)" }
            if let time = p.snapshotTime { row += "  snapshot \(time)" }
            if let code = p.errorCode { row += "  error \(p.httpStatus.map { "\($0) " } ?? "")\(code)" }
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

    private static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    private static func dateTime(_ date: Date, zone: ClockZone) -> String {
        let local = date.plausibleWholeSecondsSince1970 + zone.secondsFromGMT(for: date)
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let (year, month, day) = CivilTime.civil(fromDays: days)
        let pad = { (value: Int) in value < 10 ? "0\(value)" : String(value) }
        return "\(year)-\(pad(month))-\(pad(day)) " + SourceFreshness.clock(date, zone: zone)
            + " \(zone.abbreviation(for: date))"
    }
}
