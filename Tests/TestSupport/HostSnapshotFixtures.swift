import Core
import Emulator
import Foundation

/// The host (WireServer) snapshot path of a `SnapshotScenario`: the emulator's host VM over the scenario's disks
/// (disk0 the OS disk at LUN -1, diskN at LUN N-1) and job settings that reach it.
extension SnapshotScenario {
    /// A snapshotTaskToken long enough to be a secret: no output may show it.
    public static let hostTaskToken = "tok-0123456789abcdefABCDEF0123456789"

    /// Registers the scenario's disks as the emulator host's VM; `directDrive` holds the indexes of DirectDrive disks.
    public func registerHostVM(
        directDrive: Set<Int> = [], diskEncryptionSettings: String? = nil, clockOffsetSeconds: Int = 0
    ) {
        emulator.setHostVM(
            HostVM(
                disks: fixture.blobs.enumerated().map { index, blob in
                    HostVM.Disk(
                        lun: index - 1, account: fixture.account, container: fixture.container, blob: blob,
                        directDrive: directDrive.contains(index))
                },
                diskEncryptionSettings: diskEncryptionSettings, clockOffsetSeconds: clockOffsetSeconds))
    }

    /// Writes the job's settings with the host path's parts: `includedDisks` (every data LUN and the OS disk, plus
    /// `flags`), `customSettings` (a JSON object, when given) and the snapshotTaskToken.
    @discardableResult
    public func writeHostSettingsFile(
        named name: String = "host.settings", flags: [String: Any] = [:], customSettings: [String: Any]? = nil,
        luns: [Int]? = nil, osDiskIncluded: Bool = true, commandStart: Date = Date()
    ) throws -> URL {
        try writeSettingsFile(to: directory.appendingPathComponent(name), commandStart: commandStart) {
            publicSettings, _ in
            var included: [String: Any] = [
                "dataDiskLunList": luns ?? Array(0..<(diskURIs.count - 1)), "isOSDiskIncluded": osDiskIncluded,
            ]
            included.merge(flags) { $1 }
            publicSettings["objectStr"] = SettingsFixtures.base64JSON([
                "backupMetadata": Self.metadata.map { ["Key": $0.key, "Value": $0.value] },
                "snapshotTaskToken": Self.hostTaskToken, "includedDisks": included,
            ])
            if let customSettings {
                let data = try! JSONSerialization.data(withJSONObject: customSettings, options: [.sortedKeys])
                publicSettings["customSettings"] = String(decoding: data, as: UTF8.self)
            }
        }
    }

    /// The host calls the emulator received, oldest first.
    public func hostCalls() -> [JournalEntry] {
        emulator.journal().filter { $0.operation?.isHostCall == true }
    }

    /// The guest's Snapshot Blob requests the emulator received.
    public func guestSnapshotRequests() -> [JournalEntry] {
        emulator.journal().filter { $0.operation == .snapshot }
    }
}
