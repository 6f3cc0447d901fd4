import Basics
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The `storageDetails` figures the backup service reads (storage-details.md §1), from /proc/self/mountinfo and
/// statvfs of local block filesystems only: no external command, and no call that could block on a network
/// filesystem.
///
/// `partitionCount`: the block-device filesystems of type ext3, ext4, xfs or btrfs, each counted once (bind mounts
/// and repeated mounts are one filesystem), the resource disk included, as the peer counts them.
/// `totalUsedBytes` (the billing estimate): the used bytes of every local block filesystem, each counted once,
/// except the peer's "not counted" rows: network, overlay and union filesystems, btrfs and zfs, RAM filesystems,
/// loop devices, the resource disk and Gluster snapshots.
public struct StorageSurvey: Sendable, Equatable {
    public var partitionCount: Int
    public var totalUsedBytes: Int
    /// Whether statvfs failed for a filesystem that counts (its bytes are then missing from the total).
    public var sizeComputationFailed: Bool

    /// Filesystem types counted in `partitionCount`.
    static let partitionTypes: Set<String> = ["ext3", "ext4", "xfs", "btrfs"]
    /// Type fragments the peer never bills (its rule 1 and rule 3).
    static let unbilledTypeFragments = [
        "fuse", "nfs", "cifs", "overlay", "aufs", "lustre", "secfs2", "zfs", "btrfs", "iso", "tmpfs", "ramdiskfs",
        "rootfs",
    ]

    public init(partitionCount: Int, totalUsedBytes: Int, sizeComputationFailed: Bool) {
        self.partitionCount = partitionCount
        self.totalUsedBytes = totalUsedBytes
        self.sizeComputationFailed = sizeComputationFailed
    }

    /// The figures for mountinfo text; `usedBytes` is asked only for filesystems that count (nil: it failed).
    public static func survey(
        mountInfo: String, devices: BlockDevices, usedBytes: (String) -> Int?
    ) -> StorageSurvey {
        let entries = mountInfo.split(separator: "\n").compactMap(MountInfoEntry.init(line:))
            .filter { $0.source.hasPrefix("/dev/") }
        var partitions = Set<String>()
        var billed = Set<String>()
        var total = 0
        var failed = false
        for entry in entries {
            if partitionTypes.contains(entry.filesystemType) { partitions.insert(entry.device) }
            let type = entry.filesystemType
            guard !unbilledTypeFragments.contains(where: { type.contains($0) }), !BlockDevices.isLoop(entry),
                !devices.resourceDiskDevices.contains(entry.device),
                !entry.mountPoint.hasPrefix("/run/gluster/snaps/"), billed.insert(entry.device).inserted
            else { continue }
            if let used = usedBytes(entry.mountPoint) {
                total += used
            } else {
                failed = true
            }
        }
        return StorageSurvey(partitionCount: partitions.count, totalUsedBytes: total, sizeComputationFailed: failed)
    }

    /// This machine's figures now.
    public static func current(mountInfoPath: String = "/proc/self/mountinfo") -> StorageSurvey {
        guard let text = try? String(contentsOfFile: mountInfoPath, encoding: .utf8) else {
            return StorageSurvey(partitionCount: 0, totalUsedBytes: 0, sizeComputationFailed: true)
        }
        return survey(mountInfo: text, devices: BlockDevices.read()) { mountPoint in
            var figures = statvfs()
            guard statvfs(mountPoint, &figures) == 0 else { return nil }
            return Int(figures.f_blocks - figures.f_bfree) * Int(figures.f_frsize)
        }
    }
}
