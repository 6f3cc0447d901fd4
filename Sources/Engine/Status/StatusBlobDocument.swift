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
        /// Whether `isSuccessful` is written as the string `"true"`/`"false"`, as the host path copies the host's.
        public var successWrittenAsText = false
        /// `<blob>?snapshot=<x-ms-snapshot>` (guest: empty when it failed; host: as received, null for DirectDrive
        /// and failed entries).
        public var snapshotUri: String?
        public var errorMessage: String
        /// The blob's URI without SAS (host path: null for a failed entry).
        public var blobUri: String?
        public var directDriveSnapshotIdentifier: DirectDriveIdentifier?

        public init(
            isSuccessful: Bool, successWrittenAsText: Bool = false, snapshotUri: String?, errorMessage: String,
            blobUri: String?, directDriveSnapshotIdentifier: DirectDriveIdentifier?
        ) {
            self.isSuccessful = isSuccessful
            self.successWrittenAsText = successWrittenAsText
            self.snapshotUri = snapshotUri
            self.errorMessage = errorMessage
            self.blobUri = blobUri
            self.directDriveSnapshotIdentifier = directDriveSnapshotIdentifier
        }

        private enum CodingKeys: String, CodingKey {
            case isSuccessful, snapshotUri, errorMessage, blobUri, directDriveSnapshotIdentifier
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            if let text = try? c.decode(String.self, forKey: .isSuccessful) {
                isSuccessful = text == "true"
                successWrittenAsText = true
            } else {
                isSuccessful = try c.decode(Bool.self, forKey: .isSuccessful)
            }
            snapshotUri = try c.decodeIfPresent(String.self, forKey: .snapshotUri)
            errorMessage = try c.decodeIfPresent(String.self, forKey: .errorMessage) ?? ""
            blobUri = try c.decodeIfPresent(String.self, forKey: .blobUri)
            directDriveSnapshotIdentifier = try c.decodeIfPresent(
                DirectDriveIdentifier.self, forKey: .directDriveSnapshotIdentifier)
        }

        /// Every key is written, null ones too (the peer's field set).
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            if successWrittenAsText {
                try c.encode(isSuccessful ? "true" : "false", forKey: .isSuccessful)
            } else {
                try c.encode(isSuccessful, forKey: .isSuccessful)
            }
            try c.encode(snapshotUri, forKey: .snapshotUri)
            try c.encode(errorMessage, forKey: .errorMessage)
            try c.encode(blobUri, forKey: .blobUri)
            try c.encode(directDriveSnapshotIdentifier, forKey: .directDriveSnapshotIdentifier)
        }
    }

    /// `directDriveSnapshotIdentifier`: a DirectDrive snapshot as the backup service reads it.
    public struct DirectDriveIdentifier: Codable, Sendable, Equatable {
        /// `{"DateTime": "/Date(<ms since 1970>)/", "OffsetMinutes": 0}`.
        public struct CreationTime: Codable, Sendable, Equatable {
            public var DateTime: String
            public var OffsetMinutes: Int
        }

        public var creationTime: CreationTime
        public var id: String
        /// The host's token for the snapshot: the backup service needs it; no other output carries it.
        public var token: String?
        public var instantAccessDurationMinutes: Int?

        public init(creationTime: CreationTime, id: String, token: String?, instantAccessDurationMinutes: Int?) {
            self.creationTime = creationTime
            self.id = id
            self.token = token
            self.instantAccessDurationMinutes = instantAccessDurationMinutes
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(creationTime, forKey: .creationTime)
            try c.encode(id, forKey: .id)
            try c.encode(token, forKey: .token)
            try c.encode(instantAccessDurationMinutes, forKey: .instantAccessDurationMinutes)
        }
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
        /// The snapshot method and why it was chosen (absent in documents of older versions).
        public var method: SnapshotMethodChoice?
        /// hostStatusCodePreSnapshot / hostStatusCodeDoSnapshot, when the host was asked.
        public var hostStatusCodePreSnapshot: HostStatusCode?
        public var hostStatusCodeDoSnapshot: HostStatusCode?
        /// Whose clock judged the command's age: `host` (presnapshot's responseTime) or `vm`.
        public var staleness: String?
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
