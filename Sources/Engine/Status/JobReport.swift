import Basics
import Foundation

/// Everything known about a job at one moment: what both status documents are rendered from.
public struct JobReport: Sendable, Equatable {
    /// How consistent the snapshot is (reported as `snapshotConsistency` / `consistencyType`).
    public enum Consistency: String, Sendable, Codable {
        case none, fileSystem = "filesystem", application = "application"
        /// Taken after a failed freeze, as customSettings allow for a single-disk managed VM on a retry.
        case crashConsistentFallback = "crashConsistent"

        /// The number the peer's `snapshotConsistency` field uses.
        var number: Int {
            switch self {
            case .none: 0
            case .fileSystem: 1
            case .application: 2
            case .crashConsistentFallback: 3
            }
        }
    }

    public var taskID: String
    public var commandStartTicks: String?
    public var stage: JobStage
    public var finished: Bool
    /// Extension result code; 4 while the job runs.
    public var code: ResultCode
    /// `vmHealthStatusCode`: the code, or 761 for a partial failure.
    public var healthStatusCode: ResultCode
    /// `vmHealthState`: 0 green, 128 yellow, 256 red.
    public var healthState: Int
    /// `transitioning`, `success`, `error` or `warning`.
    public var status: StatusWord
    /// Redacted human-readable summary.
    public var message: String
    public var disks: [DiskProgress]
    /// Every stage that started or was skipped so far, in order.
    public var stages: [StageRecord]
    public var consistency: Consistency
    public var prePostEnabled: Bool
    public var freezeDuration: Duration?
    public var thawDuration: Duration?
    public var snapshotDuration: Duration?
    /// Why the terminal status document could not be uploaded, once that is known.
    public var statusUploadFailure: String?
    /// The job's time budget, once the job started.
    public var budget: StatusBlobDocument.Budget?
    /// ISO 8601: when the newest job that snapshotted every disk ended (this one, once it did).
    public var lastSuccessUTC: String?
    public var updated: Date
    /// The snapshot method and why, once decided.
    public var method: SnapshotMethodChoice?
    /// Who took the snapshots that `disks` report.
    public var snapshotCreator = SnapshotPath.guest
    /// The last presnapshot's and the dosnapshot's status codes, when the host was asked.
    public var hostStatusCodePreSnapshot: HostStatusCode?
    public var hostStatusCodeDoSnapshot: HostStatusCode?
    /// Whose clock judged the command's age: `host` or `vm`.
    public var stalenessClock: String?
    /// customSettings isOnlyOSDiskBackupEnabled: only `/` is billed (telemetry `billingType` `os disk`).
    public var onlyOSDiskBackup = false
    /// The job's diskIds when some disk is excluded: only filesystems on these LUNs are billed (-1 the OS disk).
    public var includedLUNs: Set<Int>?
    /// The script configuration's telemetry (`isPrePostEnabled`, `appName`).
    public var scriptTelemetry = ScriptTelemetry()
    /// The DirectDrive tokens by disk index: only the status blob's snapshotInfo carries them.
    var directDriveTokens: [Int: String] = [:]

    /// A job that has just been accepted (code 4, transitioning).
    public init(taskID: String, commandStartTicks: String?, disks: [DiskProgress]) {
        self.taskID = taskID
        self.commandStartTicks = commandStartTicks
        stage = .validate
        finished = false
        code = 4
        healthStatusCode = 4
        healthState = 0
        status = .transitioning
        message = "snapshot job accepted"
        self.disks = disks
        stages = []
        consistency = .none
        prePostEnabled = false
        updated = Date()
    }

    /// The status blob document.
    public func blobDocument(facts: SystemFacts = .current) -> StatusBlobDocument {
        let milliseconds = Int((updated.timeIntervalSince1970 * 1000).rounded(.down))
        let storage = facts.storage.billing(onlyOSDisk: onlyOSDiskBackup, includedLUNs: includedLUNs)
        var telemetry: [(String, String)] = [
            ("extensionVersion", ExtensionIdentity.version), ("osVersion", facts.osVersion),
            ("kernelVersion", facts.kernelVersion), ("platformArchitecture", "64bit"),
            ("snapshotCreator", snapshotCreator.creator), ("prePostEnabled", prePostEnabled ? "True" : "False"),
            ("consistencyType", consistency.rawValue),
        ]
        if scriptTelemetry.usable { telemetry.append(("isPrePostEnabled", "true")) }
        if let appName = scriptTelemetry.appName { telemetry.append(("appName", appName)) }
        telemetry += [
            ("guestAgentVersion", facts.guestAgentVersion), ("workloads", SystemFacts.pythonList(facts.workloads)),
        ]
        if facts.networkFilesystemMounted { telemetry.append(("networkFSTypePresentInMount", "True")) }
        if statusUploadFailure != nil { telemetry.append(("statusBlobUploadError", "true")) }
        if finished {
            telemetry.append(("extErrorCode", extErrorCode))
            telemetry.append(("billingType", onlyOSDiskBackup ? "os disk" : "none"))
            telemetry += storage.telemetry.map { ($0.key, $0.value) }
        }
        let timings = [
            ("FreezeTime", freezeDuration), ("ThawTime", thawDuration), ("snapshotTimeTaken", snapshotDuration),
        ]
        for case let (key, duration?) in timings { telemetry.append((key, Self.timedelta(duration))) }
        var hostParts = ["snapshotCreator=\(snapshotCreator.creator), "]
        for case let (key, code?) in [
            ("hostStatusCodePreSnapshot", hostStatusCodePreSnapshot),
            ("hostStatusCodeDoSnapshot", hostStatusCodeDoSnapshot),
        ] {
            telemetry.append((key, code.description))
            hostParts.append("\(key)=\(code), ")
        }
        let messageStr = Redactor.redact(self.message) + (hostParts.count == 1 ? "" : " " + hostParts.joined())
        let message = Self.messageJSON(
            messageStr: messageStr, consistency: consistency.number, failed: statusUploadFailure,
            sizeComputationFailed: storage.sizeComputationFailed)
        return StatusBlobDocument(
            version: ExtensionIdentity.version, timestampUTC: "/Date(\(milliseconds))/",
            status: .init(
                name: ExtensionIdentity.name, operation: "Enable", status: status.description, substatus: [],
                code: String(code.rawValue),
                taskId: taskID, formattedMessage: .init(lang: "en-US", message: message),
                storageDetails: .init(
                    partitionCount: facts.storage.partitionCount, totalUsedSizeInBytes: storage.totalUsedBytes,
                    isStoragespacePresent: false, isSizeComputationFailed: storage.sizeComputationFailed),
                commandStartTimeUTCTicks: commandStartTicks ?? "",
                telemetryData: telemetry.map { .init(key: $0, value: $1) },
                uniqueMachineId: facts.uniqueMachineID,
                snapshotInfo: disks.map(snapshotInfo),
                vmHealthInfo: .init(vmHealthState: healthState, vmHealthStatusCode: healthStatusCode.rawValue),
                lastSuccessUTC: lastSuccessUTC,
                progress: .init(
                    stage: stage, finished: finished, updatedUTC: updated.formatted(.iso8601), disks: disks,
                    stages: stages,
                    note: statusUploadFailure.map { "terminal status upload failed: \($0)" }, budget: budget,
                    method: method, hostStatusCodePreSnapshot: hostStatusCodePreSnapshot,
                    hostStatusCodeDoSnapshot: hostStatusCodeDoSnapshot, staleness: stalenessClock)))
    }

    /// A disk's snapshotInfo entry: the guest path's, or the host path's (isSuccessful as text, the host's URIs,
    /// the DirectDrive identifier with its token).
    private func snapshotInfo(_ disk: DiskProgress) -> StatusBlobDocument.SnapshotInfo {
        guard disk.path == .host else {
            return .init(
                isSuccessful: disk.state == .succeeded, snapshotUri: disk.snapshotURI ?? "",
                errorMessage: disk.state == .failed ? disk.errorSummary : "", blobUri: disk.blobURI,
                directDriveSnapshotIdentifier: nil)
        }
        let identifier = disk.directDrive.map { snapshot in
            StatusBlobDocument.DirectDriveIdentifier(
                creationTime: .init(DateTime: "/Date(\(snapshot.creationMilliseconds ?? 0))/", OffsetMinutes: 0),
                id: snapshot.id, token: directDriveTokens[disk.index],
                instantAccessDurationMinutes: snapshot.instantAccessDurationMinutes)
        }
        return .init(
            isSuccessful: disk.state == .succeeded, successWrittenAsText: true,
            snapshotUri: disk.directDrive == nil ? disk.hostSnapshotURI : nil,
            errorMessage: disk.errorMessage ?? "", blobUri: disk.blobURI.isEmpty ? nil : disk.blobURI,
            directDriveSnapshotIdentifier: identifier)
    }

    /// The peer's `extErrorCode`: the NAME of the job's code, the health code's (761) for a partial failure.
    var extErrorCode: String {
        let telling = healthStatusCode > 1 && healthStatusCode != code ? healthStatusCode : code
        return telling.name ?? String(telling.rawValue)
    }

    /// `H:MM:SS.ffffff`, the Python timedelta form the peer reports.
    static func timedelta(_ duration: Duration) -> String {
        let micros = max(0, Int(duration / .microseconds(1)))
        let seconds = micros / 1_000_000
        return String(
            format: "%d:%02d:%02d.%06d", seconds / 3600, (seconds / 60) % 60, seconds % 60, micros % 1_000_000)
    }

    private static func messageJSON(
        messageStr: String, consistency: Int, failed: String?, sizeComputationFailed: Bool
    ) -> String {
        let object: [String: Any] = [
            "messageStr": messageStr, "snapshotConsistency": consistency, "jobMessage": failed ?? "",
            "isSizeComputationFailed": sizeComputationFailed,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
