import Basics
import Foundation

/// The status blob document (a JSON array holding one `StatusBlobDocument`), in the shape the peer extension
/// uploads and the backup service reads (string codes, `\/Date(ms)\/` timestamp, formattedMessage.message as a
/// JSON string), plus `progress`: live per-disk state while the job runs.
public struct StatusBlobDocument: Codable, Sendable, Equatable {
    public var version: String
    /// `/Date(<ms since 1970>)/` (JSON-escaped as `\/Date(..)\/`).
    public var timestampUTC: String
    public var status: Body

    /// The `status` object.
    public struct Body: Codable, Sendable, Equatable {
        public var name: String
        public var operation: String
        /// `transitioning`, `success`, `error` or `warning`.
        public var status: String
        public var substatus: [String]
        /// The extension result code, as a string like the peer writes it.
        public var code: String
        public var taskId: String
        public var formattedMessage: FormattedMessage
        public var storageDetails: StorageDetails
        public var commandStartTimeUTCTicks: String
        public var telemetryData: [TelemetryEntry]
        public var uniqueMachineId: String
        public var snapshotInfo: [SnapshotInfo]
        public var vmHealthInfo: VMHealthInfo
        /// vmsnap's addition: ISO 8601, when the newest job that snapshotted every disk ended (absent: none known).
        public var lastSuccessUTC: String?
        /// vmsnap's addition: where the job stands, per disk.
        public var progress: Progress?
    }

    /// `{"lang": "en-US", "message": "..."}`; here `message` is a JSON string (`messageStr`, `snapshotConsistency`...).
    public struct FormattedMessage: Codable, Sendable, Equatable {
        public var lang: String
        public var message: String
    }

    /// Used-size figures the service records.
    public struct StorageDetails: Codable, Sendable, Equatable {
        public var partitionCount: Int
        public var totalUsedSizeInBytes: Int
        public var isStoragespacePresent: Bool
        public var isSizeComputationFailed: Bool
    }

    /// One `{"Key": ..., "Value": ...}` telemetry pair.
    public struct TelemetryEntry: Codable, Sendable, Equatable {
        public var key: String
        public var value: String

        enum CodingKeys: String, CodingKey {
            case key = "Key"
            case value = "Value"
        }
    }

    /// One disk's outcome.
    public struct SnapshotInfo: Codable, Sendable, Equatable {
        public var isSuccessful: Bool
        /// `<blob>?snapshot=<x-ms-snapshot>`, empty when it failed.
        public var snapshotUri: String
        public var errorMessage: String
        /// The blob's URI without SAS.
        public var blobUri: String
        public var directDriveSnapshotIdentifier: String?
    }

    /// `vmHealthState` (0 green, 128 yellow, 256 red) and `vmHealthStatusCode` (the code, or 761).
    public struct VMHealthInfo: Codable, Sendable, Equatable {
        public var vmHealthState: Int
        public var vmHealthStatusCode: Int
    }

    /// Live progress (vmsnap's addition to the peer's document).
    public struct Progress: Codable, Sendable, Equatable {
        public var stage: JobStage
        /// Whether this is the job's final document.
        public var finished: Bool
        /// ISO 8601 time of this document.
        public var updatedUTC: String
        public var disks: [DiskProgress]
        /// Every stage that started or was skipped, in order.
        public var stages: [StageRecord]
        /// Set when the terminal upload failed and only the local status file carries the outcome.
        public var note: String?
        /// The job's time budget and deadlines (absent in documents of older versions).
        public var budget: Budget?
    }

    /// A job's time budget: each part's share in seconds and the deadlines they add up to (time left is the
    /// deadline minus now).
    public struct Budget: Codable, Sendable, Equatable {
        public var preScriptSeconds: Int
        public var snapshotSeconds: Int
        public var postScriptSeconds: Int
        public var reportingSeconds: Int
        /// ISO 8601: scripts, freeze and snapshots end by then (the job is cancelled when it passes).
        public var workDeadlineUTC: String
        /// ISO 8601: the terminal status is reported by then.
        public var deadlineUTC: String

        public init(
            preScriptSeconds: Int, snapshotSeconds: Int, postScriptSeconds: Int, reportingSeconds: Int,
            workDeadlineUTC: String, deadlineUTC: String
        ) {
            self.preScriptSeconds = preScriptSeconds
            self.snapshotSeconds = snapshotSeconds
            self.postScriptSeconds = postScriptSeconds
            self.reportingSeconds = reportingSeconds
            self.workDeadlineUTC = workDeadlineUTC
            self.deadlineUTC = deadlineUTC
        }
    }
}
