import Foundation

/// One snapshot job's settings after parsing, decryption and validation: what the engine runs.
public struct JobSettings: Sendable {
    /// The most disks a job takes: settings with more are refused, so a job's work stays bounded.
    public static let maximumDisks = 4096

    /// `taskId`, the dedupe key.
    public var taskID: String
    /// `commandToExecute`, e.g. "snapshot".
    public var command: String
    /// `commandStartTimeUTCTicks` as a date.
    public var commandStartTime: Date?
    /// The raw ticks as given (echoed into the status blob).
    public var commandStartTicks: String?
    public var locale: String?
    public var vmType: String?
    /// Sequence number N of config/N.settings, when known.
    public var sequenceNumber: Int?
    /// One SAS URI per disk (protected objectStr `blobSASUri`), in order.
    public var disks: [SASBlobURI]
    public var statusBlob: SASBlobURI?
    public var logsBlob: SASBlobURI?
    /// `backupMetadata` entries; each becomes an `x-ms-meta-<Key>` header on Snapshot Blob.
    public var backupMetadata: [MetadataEntry]
    public var snapshotTaskToken: String?
    /// `includedDisks.dataDiskLunList`, when given.
    public var dataDiskLUNs: [Int]?
    /// `includedDisks.isOSDiskIncluded`, when given.
    public var osDiskIncluded: Bool?
    /// Where the settings came from (file path), for messages.
    public var source: String
    /// What the settings say about the host (WireServer) snapshot path.
    public var host = HostSnapshotSettings()

    public init(
        taskID: String, command: String, commandStartTime: Date? = nil, commandStartTicks: String? = nil,
        locale: String? = nil, vmType: String? = nil, sequenceNumber: Int? = nil, disks: [SASBlobURI],
        statusBlob: SASBlobURI? = nil, logsBlob: SASBlobURI? = nil, backupMetadata: [MetadataEntry] = [],
        snapshotTaskToken: String? = nil, dataDiskLUNs: [Int]? = nil, osDiskIncluded: Bool? = nil,
        source: String, host: HostSnapshotSettings = HostSnapshotSettings()
    ) {
        self.host = host
        self.taskID = taskID
        self.command = command
        self.commandStartTime = commandStartTime
        self.commandStartTicks = commandStartTicks
        self.locale = locale
        self.vmType = vmType
        self.sequenceNumber = sequenceNumber
        self.disks = disks
        self.statusBlob = statusBlob
        self.logsBlob = logsBlob
        self.backupMetadata = backupMetadata
        self.snapshotTaskToken = snapshotTaskToken
        self.dataDiskLUNs = dataDiskLUNs
        self.osDiskIncluded = osDiskIncluded
        self.source = source
    }

    /// What `commandToExecute` asks for.
    public enum CommandKind: Sendable {
        case snapshot, install, unsupported
    }

    /// `commandToExecute` read as the extension reads it: case-insensitively, by what it contains.
    public var commandKind: CommandKind {
        let command = command.lowercased()
        if command.contains("snapshot") { return .snapshot }
        return command.contains("install") ? .install : .unsupported
    }
}

/// One `backupMetadata` entry (`{"Key": ..., "Value": ...}`).
public struct MetadataEntry: Sendable, Hashable, Codable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    enum CodingKeys: String, CodingKey {
        case key = "Key"
        case value = "Value"
    }
}
