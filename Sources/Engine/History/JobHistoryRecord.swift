import Basics
import Foundation

/// One finished job as the local history journal keeps it: what ran, when, how it ended, and on which machine.
public struct JobHistoryRecord: Codable, Sendable, Equatable {
    /// One disk's outcome, without its error text (the status documents keep that).
    public struct DiskOutcome: Codable, Sendable, Equatable {
        public var blob: String
        public var account: String
        public var state: DiskState
        public var attempts: Int
        /// The last attempt's request time, in milliseconds.
        public var latencyMilliseconds: Double?
        /// Storage error code of a failed disk.
        public var errorCode: String?

        public init(_ disk: DiskProgress) {
            blob = disk.blob
            account = disk.account
            state = disk.state
            attempts = disk.attempts
            latencyMilliseconds = disk.latencyMilliseconds
            errorCode = disk.errorCode
        }
    }

    public var taskID: String
    public var sequenceNumber: Int?
    /// ISO 8601 UTC with milliseconds.
    public var startedUTC: String
    /// ISO 8601 UTC with milliseconds.
    public var endedUTC: String
    public var verdict: Verdict
    public var code: ResultCode
    public var healthStatusCode: ResultCode
    /// Redacted summary of the outcome.
    public var message: String
    public var disks: [DiskOutcome]
    public var freezeWindowSeconds: Double?
    /// From the database quiesce statement to its confirmed release; nil for jobs without a database stage.
    public var databaseWindowSeconds: Double?
    public var consistency: JobReport.Consistency
    /// Whether the terminal status reached the status blob.
    public var statusDelivery: StatusDelivery
    /// The machine the job ran on.
    public var machine: MachineIdentity?

    public init(
        taskID: String, sequenceNumber: Int?, startedAt: Date, endedAt: Date, result: JobResult,
        consistency: JobReport.Consistency, machine: MachineIdentity?
    ) {
        self.taskID = taskID
        self.sequenceNumber = sequenceNumber
        startedUTC = ISO8601Timestamp.format(startedAt)
        endedUTC = ISO8601Timestamp.format(endedAt)
        verdict = result.verdict
        code = result.code
        healthStatusCode = result.healthStatusCode
        message = Redactor.redact(result.message)
        disks = result.disks.map(DiskOutcome.init)
        freezeWindowSeconds = result.freezeWindowMilliseconds.map { $0 / 1000 }
        databaseWindowSeconds = result.databaseWindowMilliseconds.map { $0 / 1000 }
        self.consistency = consistency
        statusDelivery = result.statusDelivery
        self.machine = machine
    }

    public var startedAt: Date? { ISO8601Timestamp.parse(startedUTC) }
    public var endedAt: Date? { ISO8601Timestamp.parse(endedUTC) }

    /// Seconds from start to end.
    public var durationSeconds: Double? {
        guard let startedAt, let endedAt else { return nil }
        return max(0, endedAt.timeIntervalSince(startedAt))
    }

    /// Whether this job left a good recovery point: every disk (at least one) snapshotted and a success code.
    public var isGoodSnapshot: Bool {
        Self.isGoodSnapshot(code: code, healthStatusCode: healthStatusCode, disks: disks.map(\.state))
    }

    /// The one rule for "a good snapshot", shared by the journal and the status blob's `lastSuccessUTC`.
    public static func isGoodSnapshot(code: ResultCode, healthStatusCode: ResultCode, disks: [DiskState]) -> Bool {
        (code == .success || code == .applicationConsistent) && healthStatusCode.isSuccess && !disks.isEmpty
            && disks.allSatisfy { $0 == .succeeded }
    }

    /// `succeeded`, `failed`, ... with the number of disks failed of all.
    public var diskSummary: String {
        let failed = disks.filter { $0.state != .succeeded }.count
        return "\(disks.count - failed)/\(disks.count) ok"
    }
}
