import Foundation

/// What the job settings say about the host (WireServer) snapshot path: `customSettings`, the `includedDisks` flags
/// and the values the host's calls carry (host-snapshot.md sections 2, 3, 5 and 8).
public struct HostSnapshotSettings: Sendable, Equatable {
    /// `customSettings` (public, else protected), when the settings carry a non-empty one.
    public var custom: CustomSettings?
    /// `includedDisks.isAnyWADiskIncluded`: a Write Accelerated disk is backed up.
    public var writeAcceleratedDisk = false
    /// `includedDisks.isAnyDirectDriveDiskIncluded`: an Ultra Disk / Premium SSD v2 (DirectDrive) disk is backed up.
    public var directDriveDisk = false
    /// `includedDisks.isVmgsBlobIncluded`: the VM guest state blob of a Trusted Launch / Confidential VM.
    public var vmgsBlob = false
    /// `includedDisks.isAnyDiskExcluded`.
    public var anyDiskExcluded = false
    /// `includedDisks.isVmmdBlobIncluded`.
    public var vmmdBlob = false
    /// `includedDisks.isVMADEEnabled`: Azure Disk Encryption is on.
    public var adeEnabled = false
    /// `includedDisks.instantAccessDurationMinutes`, when given.
    public var instantAccessDurationMinutes: Int?
    /// `objectStr.dynamicConfigsFromCRP` entries (Key, Value passed through unchanged).
    public var dynamicConfigs: [HostSetting] = []

    public init() {}

    /// The `includedDisks` flag that forces the host path, named as in the settings; nil when none is set.
    public var forcingDiskFlag: String? {
        if writeAcceleratedDisk { return "isAnyWADiskIncluded" }
        if directDriveDisk { return "isAnyDirectDriveDiskIncluded" }
        return vmgsBlob ? "isVmgsBlobIncluded" : nil
    }
}

/// The job's `customSettings` JSON string, as the peer reads it.
public struct CustomSettings: Sendable, Equatable {
    /// Whether the text is a JSON object (the peer ignores the rest of it otherwise).
    public var isObject: Bool
    /// `takeSnapshotFrom`, when present (any JSON value is kept as text).
    public var takeSnapshotFrom: String?
    /// `isManagedVm`, when present.
    public var isManagedVM: Bool?
    /// `backupTaskId`, when present.
    public var backupTaskID: String?
    /// `waDiskLunList`: the LUNs of Write Accelerated disks (`-1` is the OS disk).
    public var writeAcceleratedLUNs: [Int]
    /// `canTakeCrashConsistentSnapshot`.
    public var canTakeCrashConsistentSnapshot: Bool
    /// `backupRetryCount`.
    public var backupRetryCount: Int
    /// `isOnlyOSDiskBackupEnabled`: only the OS disk is backed up (billed), telemetry `billingType` `os disk`.
    public var onlyOSDiskBackup: Bool

    public init(
        isObject: Bool, takeSnapshotFrom: String? = nil, isManagedVM: Bool? = nil, backupTaskID: String? = nil,
        writeAcceleratedLUNs: [Int] = [], canTakeCrashConsistentSnapshot: Bool = false, backupRetryCount: Int = 0,
        onlyOSDiskBackup: Bool = false
    ) {
        self.isObject = isObject
        self.takeSnapshotFrom = takeSnapshotFrom
        self.isManagedVM = isManagedVM
        self.backupTaskID = backupTaskID
        self.writeAcceleratedLUNs = writeAcceleratedLUNs
        self.canTakeCrashConsistentSnapshot = canTakeCrashConsistentSnapshot
        self.backupRetryCount = backupRetryCount
        self.onlyOSDiskBackup = onlyOSDiskBackup
    }

    /// Reads the customSettings text leniently, as the peer does: what is not a JSON object leaves every field unset.
    public init(text: String) {
        guard let value = try? JSONValue.parse(Data(text.utf8)), case .object(let members) = value else {
            self.init(isObject: false)
            return
        }
        func member(_ key: String) -> String? {
            switch members[key] {
            case .string(let text): text
            case .integer(let number): String(number)
            case .bool(let flag): String(flag)
            default: nil
            }
        }
        func flag(_ key: String) -> Bool? {
            switch members[key] {
            case .bool(let flag): flag
            case .string(let text) where ["true", "false"].contains(text.lowercased()): text.lowercased() == "true"
            default: nil
            }
        }
        var luns: [Int] = []
        if case .array(let items) = members["waDiskLunList"] {
            luns = items.compactMap { item in
                if case .integer(let lun) = item { return Int(exactly: lun) }
                if case .string(let text) = item { return Int(text) }
                return nil
            }
        }
        let retries: Int? =
            switch members["backupRetryCount"] {
            case .integer(let number): Int(exactly: number)
            case .string(let text): Int(text)
            default: nil
            }
        self.init(
            isObject: true, takeSnapshotFrom: member("takeSnapshotFrom"), isManagedVM: flag("isManagedVm"),
            backupTaskID: member("backupTaskId"), writeAcceleratedLUNs: luns,
            canTakeCrashConsistentSnapshot: flag("canTakeCrashConsistentSnapshot") ?? false,
            backupRetryCount: retries ?? 0, onlyOSDiskBackup: flag("isOnlyOSDiskBackupEnabled") ?? false)
    }
}

/// One `{"Key": ..., "Value": ...}` setting of a host call, its value any JSON.
public struct HostSetting: Sendable, Equatable {
    public var key: String
    public var value: JSONValue

    public init(key: String, value: JSONValue) {
        self.key = key
        self.value = value
    }
}
