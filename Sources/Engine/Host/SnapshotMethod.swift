import Basics

/// Who takes the disks' snapshots: the guest (Snapshot Blob per SAS URI), the host (the WireServer's backup
/// service), or one after the other.
public enum SnapshotMethod: String, Sendable, Codable, CaseIterable {
    case firstHostThenGuest, onlyHost, onlyGuest, firstGuestThenHost

    /// Whether the method may call the host.
    public var usesHost: Bool { self != .onlyGuest }
}

/// Why the job's method is what it is.
public enum SnapshotMethodReason: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Nothing chose one: `firstHostThenGuest`.
    case byDefault
    /// vmbackup.conf `[SnapshotThread] SnapshotMethod`.
    case vmbackupConf
    /// `customSettings.takeSnapshotFrom`.
    case customSettings
    /// A Write Accelerated LUN of `customSettings.waDiskLunList` is backed up.
    case writeAcceleratedLUN(Int)
    /// An `includedDisks` flag (isAnyWADiskIncluded, isAnyDirectDriveDiskIncluded, isVmgsBlobIncluded).
    case forcedByDiskType(String)
    /// `includedDisks.isAnyDiskExcluded` without a LUN list: the host cannot take a subset.
    case subsetWithoutLUNs

    public var description: String {
        switch self {
        case .byDefault: "default"
        case .vmbackupConf: "configured in vmbackup.conf SnapshotMethod"
        case .customSettings: "configured by customSettings.takeSnapshotFrom"
        case .writeAcceleratedLUN(let lun):
            "forced: Write Accelerated disk at LUN \(lun) (customSettings.waDiskLunList)"
        case .forcedByDiskType(let flag): "forced by disk type: includedDisks.\(flag)"
        case .subsetWithoutLUNs: "some disks excluded without a LUN list: the host cannot take a subset"
        }
    }
}

/// The method a job runs and why.
public struct SnapshotMethodChoice: Sendable, Equatable, Codable {
    public var method: SnapshotMethod
    public var reason: SnapshotMethodReason

    public init(_ method: SnapshotMethod, _ reason: SnapshotMethodReason) {
        self.method = method
        self.reason = reason
    }

    /// `firstHostThenGuest (default)`.
    public var summary: String { "\(method.rawValue) (\(reason))" }

    /// Decides the method, last rule wins (host-snapshot.md section 5): the default; then vmbackup.conf's
    /// SnapshotMethod or customSettings.takeSnapshotFrom; then a Write Accelerated LUN; then the includedDisks
    /// flags. A subset of disks without a LUN list runs on the guest, or fails with 17 when a flag needs the host.
    /// Values other than the four exact names run the default.
    public static func decide(host: HostSnapshotSettings, diskIDs: [Int], configured: String?) throws(JobFailure)
        -> SnapshotMethodChoice
    {
        var choice = SnapshotMethodChoice(.firstHostThenGuest, .byDefault)
        let configuredMethod = configured.flatMap { $0.isEmpty ? nil : $0 }
        var readsCustomFields = false
        if let custom = host.custom {
            if custom.isObject, let takeFrom = custom.takeSnapshotFrom {
                if let configuredMethod {
                    choice = SnapshotMethodChoice(
                        SnapshotMethod(rawValue: configuredMethod) ?? .firstHostThenGuest, .vmbackupConf)
                } else {
                    choice = SnapshotMethodChoice(
                        SnapshotMethod(rawValue: takeFrom) ?? .firstHostThenGuest, .customSettings)
                }
                readsCustomFields = custom.isManagedVM != nil
            }
        } else if let configuredMethod {
            choice = SnapshotMethodChoice(
                SnapshotMethod(rawValue: configuredMethod) ?? .firstHostThenGuest, .vmbackupConf)
        }
        if readsCustomFields, let lun = host.custom?.writeAcceleratedLUNs.first(where: diskIDs.contains) {
            choice = SnapshotMethodChoice(.onlyHost, .writeAcceleratedLUN(lun))
        }
        if let flag = host.forcingDiskFlag { choice = SnapshotMethodChoice(.onlyHost, .forcedByDiskType(flag)) }
        if host.anyDiskExcluded && diskIDs.isEmpty {
            if let flag = host.forcingDiskFlag {
                throw JobFailure(
                    code: 17,
                    message:
                        "includedDisks.isAnyDiskExcluded is true with an empty LUN list while includedDisks.\(flag) needs the host: the host cannot take a subset without a list and the guest cannot take these disks"
                )
            }
            choice = SnapshotMethodChoice(.onlyGuest, .subsetWithoutLUNs)
        }
        return choice
    }
}
