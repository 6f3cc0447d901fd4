import Basics
import Foundation

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
    /// Who took the snapshot (nil in documents of older versions: the guest).
    public var path: SnapshotPath?
    /// The host's `snapshotUri` of a blob disk's snapshot, as received.
    public var hostSnapshotURI: String?
    /// The DirectDrive snapshot the host took (its token redacted).
    public var directDrive: DirectDriveSnapshot?

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

    /// The storage error code as a type.
    public var storageError: StorageErrorCode? { errorCode.map { StorageErrorCode($0) } }

    /// What storage answered a failed disk, as the status blob's `errorMessage` carries it (redacted):
    /// `HTTP 403 AuthenticationFailed: Server failed to authenticate the request.`, or the client error alone.
    public var errorSummary: String {
        var head = [httpStatus.map { "HTTP \($0)" }, errorCode].compactMap { $0 }.joined(separator: " ")
        if head.isEmpty { head = "no answer" }
        guard let errorMessage, !errorMessage.isEmpty else { return Redactor.redact(head) }
        return Redactor.redact("\(head): \(errorMessage)")
    }

    /// `<blob>?snapshot=<x-ms-snapshot>` once the snapshot succeeded; the host's URI on the host path.
    public var snapshotURI: String? {
        path == .host ? hostSnapshotURI : snapshotTime.map { "\(blobURI)?snapshot=\($0)" }
    }
}

/// Who took a disk's snapshot: the guest (Snapshot Blob with the disk's SAS URI) or the host's backup service.
public enum SnapshotPath: String, Sendable, Codable {
    case guest, host

    /// The telemetry's `snapshotCreator`.
    public var creator: String { self == .host ? "backupHostService" : "guestExtension" }
}

/// One thing that happened in a job; the dashboard, the human printer and the `--json` printer all consume these.
public enum JobEvent: Sendable {
    /// A stage started (`running`), ended (`succeeded`/`failed`/`skipped`), or does not apply (`skipped` without
    /// having run): exactly the record the status blob's `progress.stages` carries.
    case stage(StageRecord)
    /// A disk's snapshot changed state.
    case disk(DiskProgress, at: Date)
    /// A log line (redacted) as written to extension.log.
    case log(String, at: Date)
    /// The job ended; this is always the last event.
    case finished(JobResult)
}

/// What became of the terminal status document on its way to the status blob.
public enum StatusDelivery: String, Sendable, Codable, Equatable {
    case uploaded, failed
    /// The settings name no status blob: the status file is the only report.
    case noStatusBlob
    /// A repeat of a job already handled: the first job's status stands and nothing was written.
    case unchanged
}

/// The terminal outcome of a job.
public struct JobResult: Sendable, Codable, Equatable {
    /// Extension result code (status `code`).
    public var code: ResultCode
    /// vmHealthStatusCode (e.g. 761 for partial failure).
    public var healthStatusCode: ResultCode
    /// `success`, `error`, `warning`.
    public var status: StatusWord
    public var message: String
    public var disks: [DiskProgress]
    public var freezeWindowMilliseconds: Double?
    /// From the database quiesce statement to its confirmed release (writes blocked, for MySQL/MariaDB).
    public var databaseWindowMilliseconds: Double?
    /// Whether the terminal status document reached the status blob, and if not why not.
    public var statusDelivery: StatusDelivery
    /// Why the upload failed (redacted), when it did.
    public var statusUploadFailure: String?

    public init(
        code: ResultCode, healthStatusCode: ResultCode, status: StatusWord, message: String, disks: [DiskProgress],
        freezeWindowMilliseconds: Double? = nil, databaseWindowMilliseconds: Double? = nil,
        statusDelivery: StatusDelivery, statusUploadFailure: String? = nil
    ) {
        self.code = code
        self.healthStatusCode = healthStatusCode
        self.status = status
        self.message = message
        self.disks = disks
        self.freezeWindowMilliseconds = freezeWindowMilliseconds
        self.databaseWindowMilliseconds = databaseWindowMilliseconds
        self.statusDelivery = statusDelivery
        self.statusUploadFailure = statusUploadFailure
    }

    /// Whether the terminal status reached the status blob.
    public var statusUploaded: Bool { statusDelivery == .uploaded }

    /// The job's verdict in the vocabulary every output shares: a success code with a failed disk is a warning, a
    /// success whose status never reached the status blob too (the backup service will not see it).
    public var verdict: Verdict {
        let failedDisks = disks.filter { $0.state == .failed }.count
        let (verdict, _) = Verdict.finished(
            code: code, health: healthStatusCode, failedDisks: failedDisks, disks: disks.count)
        return verdict == .succeeded && statusDelivery == .failed ? .warning : verdict
    }
}
