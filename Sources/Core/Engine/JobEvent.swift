import Foundation

/// The stages of a snapshot job, in order.
public enum JobStage: String, Sendable, Codable, CaseIterable {
    case validate, dedupe, staleness, preScript, preconnect, freeze, snapshot, thaw, postScript, report
}

/// Where one disk's snapshot stands.
public enum DiskState: String, Sendable, Codable {
    case pending, inFlight, retrying, succeeded, failed
}

/// Live progress of one disk's snapshot. URIs are already redacted.
public struct DiskProgress: Sendable, Codable, Equatable {
    /// Position of the disk in the job's blobSASUri list.
    public var index: Int
    /// Blob URI without its SAS query.
    public var blobURI: String
    public var account: String
    public var container: String
    public var blob: String
    public var state: DiskState
    public var attempts: Int
    /// Time of the last attempt's request, in milliseconds.
    public var latencyMilliseconds: Double?
    public var httpStatus: Int?
    /// Storage error code (`x-ms-error-code`), e.g. "AuthenticationFailed".
    public var errorCode: String?
    public var errorMessage: String?
    /// `x-ms-request-id` of the last answer.
    public var requestID: String?
    /// `x-ms-snapshot` of a successful snapshot.
    public var snapshotTime: String?

    public init(
        index: Int, blobURI: String, account: String, container: String, blob: String,
        state: DiskState = .pending, attempts: Int = 0
    ) {
        self.index = index
        // Both are shown and reported: a signature in the blob's path is masked like any other.
        self.blobURI = Redactor.redact(blobURI)
        self.account = account
        self.container = container
        self.blob = Redactor.redact(blob)
        self.state = state
        self.attempts = attempts
    }

    /// `<blob>?snapshot=<x-ms-snapshot>` once the snapshot succeeded.
    public var snapshotURI: String? { snapshotTime.map { "\(blobURI)?snapshot=\($0)" } }
}

/// One thing that happened in a job; the dashboard and the `--json` printer both consume these.
public enum JobEvent: Sendable {
    case stageStarted(JobStage, at: Date)
    case stageFinished(JobStage, at: Date, succeeded: Bool, detail: String)
    case disk(DiskProgress)
    /// A log line (redacted) as written to extension.log.
    case log(String, at: Date)
    /// The job ended; this is always the last event.
    case finished(JobResult)
}

/// The terminal outcome of a job.
public struct JobResult: Sendable, Codable, Equatable {
    /// Extension result code (status `code`).
    public var code: Int
    /// vmHealthStatusCode (e.g. 761 for partial failure).
    public var healthStatusCode: Int
    /// `success`, `error`, `warning`.
    public var status: String
    public var message: String
    public var disks: [DiskProgress]
    public var freezeWindowMilliseconds: Double?
    /// Whether the terminal status document reached the status blob.
    public var statusUploaded: Bool

    public init(
        code: Int, healthStatusCode: Int, status: String, message: String, disks: [DiskProgress],
        freezeWindowMilliseconds: Double? = nil, statusUploaded: Bool
    ) {
        self.code = code
        self.healthStatusCode = healthStatusCode
        self.status = status
        self.message = message
        self.disks = disks
        self.freezeWindowMilliseconds = freezeWindowMilliseconds
        self.statusUploaded = statusUploaded
    }
}
