import Basics
import Foundation

/// The bodies of the host calls, built from the job's settings (host-snapshot.md sections 2 and 3).
struct HostRequests: Sendable {
    let settings: JobSettings

    /// `customSettings.backupTaskId` when the customSettings are read, else the public `taskId`.
    var taskID: String {
        if let custom = settings.host.custom, custom.isObject, custom.takeSnapshotFrom != nil,
            custom.isManagedVM != nil, let id = custom.backupTaskID, !id.isEmpty
        {
            return id
        }
        return settings.taskID
    }

    /// The LUNs of `dataDiskLunList` in order, then -1 for the OS disk; empty without includedDisks.
    static func diskIDs(_ settings: JobSettings) -> [Int] {
        (settings.dataDiskLUNs ?? []) + (settings.osDiskIncluded == true ? [-1] : [])
    }

    /// `{"taskId": ..., "snapshotTaskToken": ..., "preSnapshotSettings": [{"Key": "isVMADEEnabled", ...}]}`.
    func presnapshot(withSettings: Bool) -> String {
        var members: [(String, HostJSON)] = [
            ("taskId", .string(taskID)), ("snapshotTaskToken", .string(settings.snapshotTaskToken ?? "")),
        ]
        if withSettings {
            members.append(
                ("preSnapshotSettings", .keyValueList([("isVMADEEnabled", .bool(settings.host.adeEnabled))])))
        }
        return HostJSON.object(members).text
    }

    /// The dosnapshot body; `redacting` replaces the DiskEncryptionSettings value with REDACTED (for the log).
    func dosnapshot(encryption: HostEncryption?, redacting: Bool = false) -> String {
        let host = settings.host
        var values: [(String, HostJSON)] = [
            ("isSnapshotTtlEnabled", .bool(true)), ("useMccfToFetchDsasForAllDisks", .bool(false)),
            ("useMccfForLad", .bool(false)), ("EnableVMSnapshotExtensionPolling", .bool(false)),
        ]
        for index in values.indices {
            if let dynamic = host.dynamicConfigs.first(where: { $0.key.lowercased() == values[index].0.lowercased() }) {
                values[index].1 = .value(dynamic.value)
            }
        }
        values.append(("isVmmdBlobIncluded", .bool(host.vmmdBlob)))
        var metadata: [(String, HostJSON)] = settings.backupMetadata.map { ($0.key, .string($0.value)) }
        if let encryption {
            values.append(("isOsDiskADEEncrypted", .bool(encryption.osDiskEncrypted)))
            values.append(("areDataDisksADEEncrypted", .bool(encryption.dataDisksEncrypted)))
            if !encryption.settings.isEmpty {
                metadata.append(
                    ("DiskEncryptionSettings", .string(redacting ? Redactor.placeholder : encryption.settings)))
            }
        }
        var members: [(String, HostJSON)] = [
            ("taskId", .string(taskID)), ("diskIds", .array(Self.diskIDs(settings).map(HostJSON.integer))),
            ("settings", .keyValueList(values)),
            ("snapshotTaskToken", .string(redacting ? Redactor.placeholder : settings.snapshotTaskToken ?? "")),
            ("snapshotMetadata", .keyValueList(metadata)),
        ]
        if let minutes = host.instantAccessDurationMinutes {
            members.append(("instantAccessDurationMinutes", .integer(minutes)))
        }
        return HostJSON.object(members).text
    }
}

/// The ADE facts a presnapshot answered (only when it was asked with isVMADEEnabled true).
public struct HostEncryption: Sendable, Equatable {
    public var osDiskEncrypted: Bool
    public var dataDisksEncrypted: Bool
    /// `DiskEncryptionSettings`: opaque, never logged (only its length).
    public var settings: String
}
