import Basics
import Engine
import Foundation

/// One view of a snapshot job, whichever source it came from (status blob, status file, the live engine).
public struct JobSnapshot: Sendable, Equatable {
    /// Where a snapshot was read from.
    public enum Origin: String, Sendable, Codable {
        case statusBlob = "status blob"
        case statusFile = "status file"
        case liveJob = "live job"
    }

    public var origin: Origin
    /// Extension name, e.g. `Microsoft.Azure.RecoveryServices.VMSnapshotLinux`.
    public var extensionName: String?
    public var extensionVersion: String?
    public var operation: String?
    public var taskID: String?
    /// N of status/N.status, when known.
    public var sequenceNumber: Int?
    /// The document's status word (never the verdict: see `judge(now:)`).
    public var status: StatusWord
    /// Extension result code; nil when the document had none or it was not a number.
    public var code: ResultCode?
    /// `vmHealthState`: 0 green, 128 yellow, 256 red.
    public var healthState: Int?
    /// `vmHealthStatusCode`, e.g. 761 for partial failure.
    public var healthStatusCode: ResultCode?
    /// The human message (the peer's `jobMessage`/`messageStr`, or the plain formattedMessage).
    public var message: String
    /// Further messages (substatus entries, notes the reader made), already redacted.
    public var notes: [String]
    /// When the document was written.
    public var timestamp: Date?
    /// `commandStartTimeUTCTicks` as a date.
    public var commandStartTime: Date?
    public var phases: [PhaseRecord]
    public var disks: [MonitoredDisk]
    /// The peer's `telemetryData` as key/value pairs, in document order.
    public var telemetry: [MetadataEntry]
    /// The freeze window when it is known (live job or telemetry).
    public var freezeWindowSeconds: Double?
    /// When the job's time budget ends and its terminal status is due (`progress.budget.deadlineUTC`), if known.
    public var deadline: Date?
    /// The sequence number of the newest settings on the VM when that is newer than this document's: the document
    /// describes an older job.
    public var newerSequenceNumber: Int?
    /// When the newest job that snapshotted every disk ended, as the document says (`lastSuccessUTC`).
    public var lastSuccess: Date?
    /// The snapshot method and why it was chosen, when the document says (vmsnap's `progress.method`).
    public var method: SnapshotMethodChoice?
    /// What the host answered, in call order, when it was asked.
    public var hostAnswers: [HostAnswer] = []
    /// The consistency the snapshots achieved, when the document says (`consistencyType`).
    public var consistency: JobReport.Consistency?

    public init(
        origin: Origin, extensionName: String? = nil, extensionVersion: String? = nil, operation: String? = nil,
        taskID: String? = nil, sequenceNumber: Int? = nil, status: StatusWord, code: ResultCode? = nil,
        healthState: Int? = nil, healthStatusCode: ResultCode? = nil, message: String = "", notes: [String] = [],
        timestamp: Date? = nil, commandStartTime: Date? = nil, phases: [PhaseRecord] = [],
        disks: [MonitoredDisk] = [], telemetry: [MetadataEntry] = [], freezeWindowSeconds: Double? = nil
    ) {
        self.origin = origin
        self.extensionName = extensionName
        self.extensionVersion = extensionVersion
        self.operation = operation
        self.taskID = taskID
        self.sequenceNumber = sequenceNumber
        self.status = status
        self.code = code
        self.healthState = healthState
        self.healthStatusCode = healthStatusCode
        self.message = message
        self.notes = notes
        self.timestamp = timestamp
        self.commandStartTime = commandStartTime
        self.phases = phases
        self.disks = disks
        self.telemetry = telemetry
        self.freezeWindowSeconds = freezeWindowSeconds
    }

    /// Whether the document reports a finished job (by its code; by its word only when it has no code).
    public var isTerminal: Bool { code.map(\.isTerminal) ?? status.isTerminal }

    /// The value of a telemetry key, if present.
    public func telemetry(_ key: String) -> String? { telemetry.first { $0.key == key }?.value }

    /// Overall disk progress: finished disks (succeeded or failed) over all disks.
    public var diskProgress: (finished: Int, total: Int) {
        (disks.filter { $0.progress.state == .succeeded || $0.progress.state == .failed }.count, disks.count)
    }

    /// The phase that is running now, if any.
    public var currentPhase: PhaseRecord? { phases.last { $0.state == .running } }
}

/// One host call's answer as the telemetry reports it (hostStatusCodePreSnapshot, hostStatusCodeDoSnapshot).
public struct HostAnswer: Sendable, Equatable {
    /// The telemetry key, which names the call.
    public var key: String
    public var code: HostStatusCode

    public init(key: String, code: HostStatusCode) {
        self.key = key
        self.code = code
    }

    /// `presnapshot` or `dosnapshot`.
    public var call: String { key.replacingOccurrences(of: "hostStatusCode", with: "").lowercased() }
}

/// One disk as the dashboard shows it: the engine's progress plus what only documents know.
public struct MonitoredDisk: Sendable, Equatable {
    public var progress: DiskProgress
    /// The data-disk LUN, when the source says it.
    public var lun: Int?
    /// Whether `progress.attempts` is a fact from the source (the peer's documents do not count attempts).
    public var attemptsKnown: Bool

    public init(progress: DiskProgress, lun: Int? = nil, attemptsKnown: Bool = true) {
        self.progress = progress
        self.lun = lun
        self.attemptsKnown = attemptsKnown
    }
}

/// Where one phase of the job stands.
public struct PhaseRecord: Sendable, Equatable {
    /// Where a phase stands; `unknown` when the source says nothing about it (a peer document has no stage records).
    public enum State: String, Sendable, Codable {
        case pending, running, succeeded, failed, skipped, unknown
    }

    public var stage: JobStage
    public var state: State
    public var startedAt: Date?
    /// Elapsed seconds once finished (or from telemetry).
    public var elapsedSeconds: Double?
    public var detail: String

    public init(
        stage: JobStage, state: State, startedAt: Date? = nil, elapsedSeconds: Double? = nil, detail: String = ""
    ) {
        self.stage = stage
        self.state = state
        self.startedAt = startedAt
        self.elapsedSeconds = elapsedSeconds
        self.detail = detail
    }

    /// The phase a stage record describes. A record still `running` in a document whose job has ended is `unknown`
    /// (the document ended before the stage did); a skipped stage has no elapsed time.
    public init(_ record: StageRecord, jobEnded: Bool) {
        let state: State =
            switch record.state {
            case .running: jobEnded ? .unknown : .running
            case .succeeded: .succeeded
            case .failed: .failed
            case .skipped: .skipped
            }
        let started = record.startedAt
        let elapsed =
            record.state == .skipped
            ? nil : started.flatMap { s in record.endedAt.map { max(0, $0.timeIntervalSince(s)) } }
        self.init(
            stage: record.stage, state: state, startedAt: started, elapsedSeconds: elapsed,
            detail: Redactor.redact(record.detail))
    }

    /// Elapsed time at `now`: the recorded figure, or the running time so far.
    public func elapsed(now: Date) -> Double? {
        if let elapsedSeconds { return elapsedSeconds }
        if state == .running, let startedAt { return max(0, now.timeIntervalSince(startedAt)) }
        return nil
    }

    /// The phases the timeline shows, in order.
    public static let timelineStages: [JobStage] = [
        .preScript, .database, .freeze, .snapshot, .thaw, .postScript, .report,
    ]

    /// Whether the dashboard and `status --once`'s text show the phase (JSON has every phase): the database phase
    /// only once a job quiesces (or tried to), so jobs without workload.conf and the peer's documents look as before.
    public var isShown: Bool { stage != .database || [.running, .succeeded, .failed].contains(state) }
}
