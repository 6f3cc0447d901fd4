import Basics
import Engine
import Foundation

/// Why a status document could not be read; names the JSON path and what was expected there.
public struct StatusDocumentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the document came from (a path or "status blob").
    public var source: String
    /// JSON path, e.g. `$[0].status`.
    public var path: String
    public var expected: String

    public init(source: String, path: String, expected: String) {
        self.source = source
        self.path = path
        self.expected = expected
    }

    public var description: String { "\(source): at \(path) expected \(expected)" }
}

/// Reads status documents tolerantly: ours and the peer's (string or number codes, ISO or `\/Date(ms)\/`
/// timestamps, formattedMessage.message holding JSON, a status file wrapping the blob document in substatus).
public enum StatusDocumentReader {
    /// The largest document read: ours stay under 128 KiB (the agent's limit for a status file) plus the live
    /// progress of 4,096 disks; anything much larger is no status document and would only cost time and memory.
    public static let maximumBytes = 4 << 20

    /// The refusal of a document over `maximumBytes`.
    static func tooLarge(source: String, bytes: Int) -> StatusDocumentError {
        StatusDocumentError(
            source: source, path: "$", expected: "a status document of at most 4 MiB, found \(bytes) bytes")
    }

    /// Parses a status file or status blob into a `JobSnapshot`; every string that reaches it is redacted.
    public static func read(
        _ data: Data, origin: JobSnapshot.Origin, source: String, sequenceNumber: Int? = nil
    ) throws(StatusDocumentError) -> JobSnapshot {
        guard data.count <= maximumBytes else { throw tooLarge(source: source, bytes: data.count) }
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw StatusDocumentError(source: source, path: "$", expected: "JSON (\(JSONSyntaxError(data).detail))")
        }
        var snapshot = try readRoot(root, origin: origin, source: source)
        snapshot.sequenceNumber = sequenceNumber
        return snapshot
    }

    private static func readRoot(_ root: Any, origin: JobSnapshot.Origin, source: String) throws(StatusDocumentError)
        -> JobSnapshot
    {
        let element: [String: Any]
        let prefix: String
        if let array = root as? [Any] {
            guard let first = array.first as? [String: Any] else {
                throw StatusDocumentError(source: source, path: "$[0]", expected: "an object (the status entry)")
            }
            element = first
            prefix = "$[0]"
        } else if let object = root as? [String: Any] {
            element = object
            prefix = "$"
        } else {
            throw StatusDocumentError(source: source, path: "$", expected: "a JSON array holding one object")
        }
        guard let status = element["status"] as? [String: Any] else {
            throw StatusDocumentError(source: source, path: "\(prefix).status", expected: "an object")
        }
        guard let state = string(status["status"]), !state.isEmpty else {
            throw StatusDocumentError(
                source: source, path: "\(prefix).status.status",
                expected: "a string: transitioning, success, error or warning")
        }
        if let wrapped = wrappedBlobDocument(status) {
            var inner = try readRoot(wrapped, origin: origin, source: "\(source) (substatus[0].name)")
            inner.notes.insert(
                "status file says \(state.lowercased()); the job's outcome comes from the wrapped status blob", at: 0)
            return inner
        }
        var snapshot = JobSnapshot(origin: origin, status: StatusWord(state))
        snapshot.extensionName = string(status["name"])
        snapshot.operation = string(status["operation"])
        snapshot.taskID = string(status["taskId"])
        snapshot.code = integer(status["code"]).map { ResultCode($0) }
        if snapshot.code == nil, let raw = string(status["code"]), !raw.isEmpty {
            snapshot.notes.append("code '\(raw)' is not a number")
        }
        snapshot.timestamp = (element["timestampUTC"]).flatMap(string).flatMap(StatusTimestamp.parse)
        snapshot.commandStartTime = string(status["commandStartTimeUTCTicks"]).flatMap(DotNetTicks.date(from:))
        snapshot.message = Redactor.redact(message(status["formattedMessage"]))
        if let health = status["vmHealthInfo"] as? [String: Any] {
            snapshot.healthState = integer(health["vmHealthState"])
            snapshot.healthStatusCode = integer(health["vmHealthStatusCode"]).map { ResultCode($0) }
        }
        snapshot.telemetry = telemetry(status["telemetryData"])
        snapshot.extensionVersion =
            snapshot.telemetry.first { $0.key == "extensionVersion" }?.value ?? string(element["version"])
        for entry in substatusEntries(status["substatus"]) {
            let text = Redactor.redact(
                [string(entry["name"]), message(entry["formattedMessage"])].compactMap { $0 }.filter { !$0.isEmpty }
                    .joined(separator: ": "))
            if !text.isEmpty { snapshot.notes.append(text) }
        }
        let running = !snapshot.isTerminal
        let progress = status["progress"] as? [String: Any]
        snapshot.disks = disks(progress?["disks"] ?? status["snapshotInfo"], running: running)
        readHostPath(status, progress: progress, into: &snapshot)
        if let note = string(progress?["note"]), !note.isEmpty { snapshot.notes.append(Redactor.redact(note)) }
        snapshot.deadline = string((progress?["budget"] as? [String: Any])?["deadlineUTC"]).flatMap(
            StatusTimestamp.parse)
        snapshot.freezeWindowSeconds = snapshot.telemetry("FreezeTime").flatMap(PythonDuration.seconds)
            .flatMap { $0 >= 0 ? $0 : nil }
        snapshot.phases = phases(status, snapshot: snapshot)
        snapshot.lastSuccess = string(status["lastSuccessUTC"]).flatMap(StatusTimestamp.parse)
        return snapshot
    }

    /// The peer's status file carries the whole blob document as a JSON string in substatus[0].name.
    private static func wrappedBlobDocument(_ status: [String: Any]) -> Any? {
        guard let first = substatusEntries(status["substatus"]).first, let name = string(first["name"]),
            name.hasPrefix("[") || name.hasPrefix("{"),
            let parsed = try? JSONSerialization.jsonObject(with: Data(name.utf8))
        else { return nil }
        let element = (parsed as? [Any])?.first ?? parsed
        return (element as? [String: Any])?["status"] is [String: Any] ? parsed : nil
    }

    private static func substatusEntries(_ value: Any?) -> [[String: Any]] {
        if let array = value as? [Any] { return array.compactMap { $0 as? [String: Any] } }
        if let object = value as? [String: Any] { return [object] }
        return []
    }

    /// formattedMessage: `{"lang","message"}` where message may itself be JSON (`jobMessage`, `messageStr`).
    private static func message(_ value: Any?) -> String {
        let raw: String
        if let object = value as? [String: Any] {
            raw = string(object["message"]) ?? ""
        } else {
            raw = string(value) ?? ""
        }
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("{"), let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)),
            let fields = object as? [String: Any]
        else { return trimmed }
        for key in ["jobMessage", "messageStr", "message"] {
            if let text = string(fields[key])?.trimmingCharacters(in: CharacterSet(charactersIn: ", ")),
                !text.isEmpty
            {
                return text
            }
        }
        return ""
    }

    /// Who took each disk's snapshot (the telemetry's snapshotCreator, vmsnap's per-disk `path`), DirectDrive ids
    /// (never their tokens), and the method with its reason and the host's answers as notes.
    private static func readHostPath(
        _ status: [String: Any], progress: [String: Any]?, into snapshot: inout JobSnapshot
    ) {
        let byHost = snapshot.telemetry.first { $0.key == "snapshotCreator" }?.value == SnapshotPath.host.creator
        let entries = (progress?["disks"] ?? status["snapshotInfo"]) as? [Any] ?? []
        for (index, item) in entries.enumerated() where index < snapshot.disks.count {
            let entry = item as? [String: Any] ?? [:]
            let path = string(entry["path"]).flatMap(SnapshotPath.init(rawValue:))
            snapshot.disks[index].progress.path = path ?? (byHost ? .host : nil)
            let identifier = (entry["directDrive"] ?? entry["directDriveSnapshotIdentifier"]) as? [String: Any]
            if let id = identifier.flatMap({ string($0["id"]) }) {
                snapshot.disks[index].progress.directDrive = DirectDriveSnapshot(
                    id: Redactor.redact(id), creationTime: "",
                    token: identifier?["token"] == nil ? nil : Redactor.placeholder)
            }
        }
        if let method = progress?["method"], let data = try? JSONSerialization.data(withJSONObject: method),
            let choice = try? JSONDecoder().decode(SnapshotMethodChoice.self, from: data)
        {
            snapshot.method = choice
            snapshot.notes.append("snapshot method \(choice.summary)")
        }
        for key in ["hostStatusCodePreSnapshot", "hostStatusCodeDoSnapshot"] {
            guard let code = snapshot.telemetry.first(where: { $0.key == key }).flatMap({ Int($0.value) }) else {
                continue
            }
            snapshot.hostAnswers.append(HostAnswer(key: key, code: HostStatusCode(rawValue: code)))
            snapshot.notes.append("\(key) \(code): \(HostStatusCode(rawValue: code).explanation)")
        }
        snapshot.consistency = snapshot.telemetry("consistencyType").flatMap(JobReport.Consistency.init(rawValue:))
    }

    private static func telemetry(_ value: Any?) -> [MetadataEntry] {
        guard let array = value as? [Any] else { return [] }
        return array.compactMap { item in
            guard let entry = item as? [String: Any], let key = string(entry["Key"] ?? entry["key"]) else {
                return nil
            }
            return MetadataEntry(key: key, value: Redactor.redact(string(entry["Value"] ?? entry["value"]) ?? ""))
        }
    }

    private static func disks(_ value: Any?, running: Bool) -> [MonitoredDisk] {
        guard let array = value as? [Any] else { return [] }
        return array.enumerated().compactMap { index, item in
            guard let entry = item as? [String: Any] else { return nil }
            let blobURI = Redactor.redact(string(entry["blobUri"] ?? entry["blobURI"]) ?? "")
            let parsed = try? SASBlobURI(blobURI)
            var progress = DiskProgress(
                index: integer(entry["index"]) ?? index, blobURI: parsed?.blobURI ?? blobURI,
                account: parsed?.account ?? "", container: parsed?.container ?? "",
                blob: parsed?.blob.removingPercentEncoding ?? parsed?.blob ?? blobURI)
            let errorMessage = Redactor.redact(string(entry["errorMessage"]) ?? "")
            let succeeded = bool(entry["isSuccessful"]) ?? false
            if let explicit = string(entry["state"]).flatMap(DiskState.init(rawValue:)) {
                progress.state = explicit
            } else if succeeded {
                progress.state = .succeeded
            } else if !errorMessage.isEmpty {
                progress.state = .failed
            } else {
                progress.state = running ? .inFlight : .pending
            }
            progress.attempts = integer(entry["attempts"]) ?? (progress.state == .pending ? 0 : 1)
            progress.latencyMilliseconds = double(entry["latencyMilliseconds"] ?? entry["latencyMs"])
            progress.httpStatus = integer(entry["httpStatus"])
            progress.errorCode = string(entry["errorCode"]).flatMap { $0.isEmpty ? nil : $0 }
            progress.errorMessage = errorMessage.isEmpty ? nil : errorMessage
            progress.requestID = string(entry["requestId"] ?? entry["requestID"])
            progress.snapshotTime =
                string(entry["snapshotTime"])
                ?? string(entry["snapshotUri"]).flatMap { uri in
                    uri.range(of: "snapshot=").map { String(uri[$0.upperBound...].prefix { $0 != "&" }) }
                }
            if progress.state == .failed, progress.httpStatus == nil, progress.errorCode == nil,
                let answer = StorageAnswer(summary: errorMessage)
            {
                (progress.httpStatus, progress.errorCode, progress.errorMessage) = (
                    answer.httpStatus, answer.errorCode, answer.message
                )
            }
            if progress.errorCode == nil, progress.state == .failed {
                progress.errorCode = storageErrorCode(in: errorMessage)
            }
            return MonitoredDisk(
                progress: progress, lun: integer(entry["lun"]), attemptsKnown: entry["attempts"] != nil)
        }
    }

    /// A storage error code (`SnapshotCountExceeded`, `AuthenticationFailed`...) quoted inside a message.
    private static func storageErrorCode(in message: String) -> String? {
        let words = message.split(whereSeparator: { !$0.isLetter && !$0.isNumber })
        return words.first { word in
            word.count > 6 && word.first!.isUppercase && word.dropFirst().contains { $0.isUppercase }
                && word.allSatisfy { $0.isASCII }
        }.map(String.init)
    }

    /// Phases known from a document: the engine's `progress.stages` records (ours), else only what the document
    /// really says (the peer's and older documents): anything it does not say is `unknown`, never a guessed result.
    private static func phases(_ status: [String: Any], snapshot: JobSnapshot) -> [PhaseRecord] {
        let progress = status["progress"] as? [String: Any]
        if let records = progress?["stages"] as? [Any] {
            return recordedPhases(records, finished: snapshot.isTerminal)
        }
        if !snapshot.isTerminal, let stage = string(progress?["stage"]).flatMap(JobStage.init(rawValue:)) {
            let current = JobStage.allCases.firstIndex(of: stage)!
            return PhaseRecord.timelineStages.map { phase in
                let position = JobStage.allCases.firstIndex(of: phase)!
                let state: PhaseRecord.State =
                    position < current ? .unknown : position == current ? .running : .pending
                return PhaseRecord(stage: phase, state: state)
            }
        }
        return impliedPhases(snapshot)
    }

    /// One phase per timeline stage from the stage records: the stage's last record, else pending while the job
    /// runs and "not reached" once it has ended.
    private static func recordedPhases(_ records: [Any], finished: Bool) -> [PhaseRecord] {
        var latest: [JobStage: StageRecord] = [:]
        for case let entry as [String: Any] in records {
            guard let data = try? JSONSerialization.data(withJSONObject: entry),
                let record = try? JSONDecoder().decode(StageRecord.self, from: data)
            else { continue }
            latest[record.stage] = record
        }
        return PhaseRecord.timelineStages.map { stage in
            guard let record = latest[stage] else {
                return finished
                    ? PhaseRecord(stage: stage, state: .skipped, detail: "not reached")
                    : PhaseRecord(stage: stage, state: .pending)
            }
            return PhaseRecord(record, jobEnded: finished)
        }
    }

    /// Phases of a document without stage records: scripts are skipped when `prePostEnabled` is false, a freeze
    /// or script result code names its failed phase, a non-negative `FreezeTime` means the freeze happened (and
    /// `ThawTime` then the thaw), `snapshotTimeTaken` in a successful document means the snapshot succeeded;
    /// everything else is unknown.
    private static func impliedPhases(_ snapshot: JobSnapshot) -> [PhaseRecord] {
        let finished = snapshot.isTerminal
        let scriptsOff = snapshot.telemetry("prePostEnabled")?.lowercased() == "false"
        let failed = snapshot.code?.failingStage
        let froze = snapshot.freezeWindowSeconds != nil
        let thawTime = snapshot.telemetry("ThawTime").flatMap(PythonDuration.seconds).flatMap { $0 >= 0 ? $0 : nil }
        let snapshotTime = snapshot.telemetry("snapshotTimeTaken").flatMap(PythonDuration.seconds)
            .flatMap { $0 >= 0 ? $0 : nil }
        return PhaseRecord.timelineStages.map { stage in
            var state: PhaseRecord.State = finished ? .unknown : .pending
            var elapsed: Double?
            switch stage {
            case .preScript where scriptsOff, .postScript where scriptsOff: state = .skipped
            case .freeze where froze: (state, elapsed) = (.succeeded, snapshot.freezeWindowSeconds)
            case .thaw where froze && thawTime != nil: (state, elapsed) = (.succeeded, thawTime)
            case .snapshot where snapshotTime != nil:
                (state, elapsed) = (finished && snapshot.code?.isSuccess == true ? .succeeded : state, snapshotTime)
            default: break
            }
            if stage == failed { state = .failed }
            return PhaseRecord(stage: stage, state: state, elapsedSeconds: elapsed)
        }
    }

    // MARK: - tolerant scalars

    static func string(_ value: Any?) -> String? {
        switch value {
        case let s as String: s
        case let n as NSNumber: n.stringValue
        default: nil
        }
    }

    /// A whole number in `Int32`'s range (codes, counts, indexes), nil otherwise: larger values are no code or
    /// count, and a view adding 1 to `Int.max` would trap.
    static func integer(_ value: Any?) -> Int? {
        let number: Int? =
            switch value {
            case let n as NSNumber: Int(exactly: n.doubleValue) ?? Int(exactly: n.int64Value)
            case let s as String: Int(s.trimmingCharacters(in: .whitespaces))
            default: nil
            }
        return number.flatMap { Int(Int32.min)...Int(Int32.max) ~= $0 ? $0 : nil }
    }

    /// A finite number, nil for NaN, infinities and text that is no number.
    static func double(_ value: Any?) -> Double? {
        let number: Double? =
            switch value {
            case let n as NSNumber: n.doubleValue
            case let s as String: Double(s)
            default: nil
            }
        return number.flatMap { $0.isFinite ? $0 : nil }
    }

    static func bool(_ value: Any?) -> Bool? {
        switch value {
        case let n as NSNumber: n.boolValue
        case let s as String: ["true", "1", "yes"].contains(s.lowercased())
        default: nil
        }
    }
}

/// A disk's `errorMessage` as vmsnap writes it into `snapshotInfo` (`HTTP 403 AuthenticationFailed: message`),
/// split back into its parts.
struct StorageAnswer {
    var httpStatus: Int
    var errorCode: String?
    var message: String?

    init?(summary: String) {
        guard summary.hasPrefix("HTTP ") else { return nil }
        let rest = summary.dropFirst(5)
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard digits.count == 3, let status = Int(digits) else { return nil }
        httpStatus = status
        var tail = rest.dropFirst(3)
        if tail.first == " " {
            let word = tail.dropFirst().prefix { $0 != ":" && $0 != " " }
            if !word.isEmpty {
                errorCode = String(word)
                tail = tail.dropFirst(1 + word.count)
            }
        }
        if tail.hasPrefix(": ") { message = String(tail.dropFirst(2)) }
    }
}

/// The two timestamp forms status documents use: ISO 8601 and the peer's `\/Date(<ms>)\/`.
public enum StatusTimestamp {
    /// Parses `2026-11-25T03:07:06Z` (fractional seconds allowed) or `/Date(1795576026799)/` (escaped or not);
    /// nil for anything else, and for a moment outside the years 0001 to 9999.
    public static func parse(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: CharacterSet(charactersIn: "\\/ "))
        if trimmed.hasPrefix("Date("), trimmed.hasSuffix(")") {
            // Anything can stand between the parentheses (1e400, NaN, -1e30): only a plausible moment is a date.
            let digits = trimmed.dropFirst(5).dropLast()
            return Double(digits).flatMap { Date(plausibleSecondsSince1970: $0 / 1000) }
        }
        return ISO8601Timestamp.parse(trimmed) ?? SASBlobURI.parseSASDate(trimmed)
    }
}

/// Python `timedelta` text as the peer writes it: `0:00:01.001518`, `-1 day, 23:59:59.008896`, `2 days, 1:00:00`.
public enum PythonDuration {
    /// Seconds, negative when the timedelta is; nil when not a timedelta or beyond Python's range.
    public static func seconds(_ text: String) -> Double? {
        var days = 0.0
        var clock = Substring(text.trimmingCharacters(in: .whitespaces))
        if let comma = clock.firstIndex(of: ",") {
            guard let d = Double(clock[..<comma].split(separator: " ").first ?? "") else { return nil }
            days = d
            clock = clock[clock.index(after: comma)...].drop { $0 == " " }
        }
        let parts = clock.split(separator: ":")
        guard parts.count == 3, let h = Double(parts[0]), let m = Double(parts[1]), let s = Double(parts[2]) else {
            return nil
        }
        // "1e400:0:0" parses as infinity: a duration must be finite and within Python's own timedelta range.
        let seconds = days * 86_400 + h * 3600 + m * 60 + s
        return seconds.isFinite && abs(seconds) <= longest ? seconds : nil
    }

    /// Python's `timedelta.max`, about 999,999,999 days, in seconds.
    static let longest: Double = 86_400 * 1e9
}
