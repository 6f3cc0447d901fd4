import Basics
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The `storageDetails` figures and the df-derived telemetry the backup service reads (storage-details.md §1, §2),
/// from /proc/self/mountinfo and statvfs: no external command, and never a statvfs of a network filesystem (it can
/// hang on an unreachable server) or of an automount point (it would mount it).
///
/// Each filesystem is one row, as `df` lists it: one per device (bind mounts and repeated mounts are one), pseudo
/// filesystems left out. The rows are classified by the peer's rules; `billing(onlyOSDisk:)` turns them into the
/// figures of one job.
public struct StorageSurvey: Sendable, Equatable {
    /// The block-device filesystems of type ext3, ext4, xfs or btrfs, each counted once, the resource disk included,
    /// as the peer counts them.
    public var partitionCount: Int
    public var filesystems: [SurveyedFilesystem]
    /// Whether mountinfo could not be read at all.
    public var unreadable = false

    /// Filesystem types counted in `partitionCount`.
    static let partitionTypes: Set<String> = ["ext3", "ext4", "xfs", "btrfs"]
    /// Type fragments of the peer's rule 1: network, union and copy-on-write filesystems, never billed.
    static let unbilledTypeFragments = [
        "fuse", "nfs", "cifs", "overlay", "aufs", "lustre", "secfs2", "zfs", "btrfs", "iso",
    ]
    /// Type fragments of the peer's rule 3: RAM filesystems.
    static let ramTypeFragments = ["tmpfs", "devtmpfs", "ramdiskfs", "rootfs"]
    /// Types the peer's df rows name without `totalUsedunknownFS`.
    static let knownTypes: Set<String> = ["ext3", "ext4", "jfs", "xfs", "reiserfs", "devtmpfs", "tmpfs", "rootfs"]
    /// Type fragments of filesystems served over the network (or by a user-space daemon): never statvfs'd.
    static let remoteTypeFragments = [
        "nfs", "cifs", "smb", "fuse", "lustre", "secfs2", "9p", "ceph", "gluster", "afs", "davfs", "gpfs", "beegfs",
        "virtiofs",
    ]
    /// Pseudo filesystems `df` does not list (autofs among them: a statvfs would trigger the automount).
    static let pseudoTypes: Set<String> = [
        "autofs", "proc", "sysfs", "devpts", "debugfs", "fusectl", "fuse.portal", "mqueue", "rpc_pipefs", "tracefs",
        "securityfs", "cgroup", "cgroup2", "pstore", "bpf", "configfs", "binfmt_misc", "nsfs", "selinuxfs", "subfs",
        "devfs", "kernfs", "ignore", "none", "efivarfs",
    ]

    public init(partitionCount: Int, filesystems: [SurveyedFilesystem], unreadable: Bool = false) {
        self.partitionCount = partitionCount
        self.filesystems = filesystems
        self.unreadable = unreadable
    }

    /// The rows of mountinfo text; `usedBytes` is asked only for local filesystems (nil: statvfs failed),
    /// `disksOf` for block devices (by `major:minor`).
    public static func survey(
        mountInfo: String, devices: BlockDevices, disksOf: (String) -> [SurveyedDisk] = { _ in [] },
        usedBytes: (String) -> Int?
    ) -> StorageSurvey {
        let entries = mountInfo.split(separator: "\n").compactMap(MountInfoEntry.init(line:))
        let partitions = Set(
            entries.filter { $0.source.hasPrefix("/dev/") && partitionTypes.contains($0.filesystemType) }.map(\.device))
        var seen = Set<String>()
        var rows: [SurveyedFilesystem] = []
        for entry in entries where !pseudoTypes.contains(entry.filesystemType) && seen.insert(entry.device).inserted {
            let kind = kind(of: entry, devices: devices)
            var row = SurveyedFilesystem(
                mountPoint: entry.mountPoint, type: entry.filesystemType, kind: kind,
                blockDevice: entry.source.hasPrefix("/dev/"), source: entry.source)
            if row.blockDevice { row.disks = disksOf(entry.device) }
            if !isRemote(entry) {
                row.usedBytes = usedBytes(entry.mountPoint)
                row.measured = true
            }
            rows.append(row)
        }
        return StorageSurvey(partitionCount: partitions.count, filesystems: rows)
    }

    /// The peer's rules 1 to 7, first match (rule 2, the resource disk, is applied per job by `billing`).
    static func kind(of entry: MountInfoEntry, devices: BlockDevices) -> SurveyedFilesystem.Kind {
        let type = entry.filesystemType
        if unbilledTypeFragments.contains(where: { type.contains($0) }) { return .networkOrUnion }
        if devices.resourceDiskDevices.contains(entry.device) { return .resourceDisk }
        if ramTypeFragments.contains(where: { type.contains($0) }) { return .ram }
        if BlockDevices.isLoop(entry) { return .loop }
        if entry.mountPoint.hasPrefix("/run/gluster/snaps/") { return .glusterSnapshot }
        if entry.source.hasPrefix("//") || entry.source.hasPrefix("\\\\") { return .networkShare }
        return .local
    }

    /// Whether a filesystem is served from elsewhere: a statvfs could block until the server answers.
    static func isRemote(_ entry: MountInfoEntry) -> Bool {
        let type = entry.filesystemType
        return remoteTypeFragments.contains { type.contains($0) } || entry.source.hasPrefix("//")
            || entry.source.hasPrefix("\\\\") || (!entry.source.hasPrefix("/") && entry.source.contains(":/"))
    }

    /// The figures of a job: `onlyOSDisk` (customSettings isOnlyOSDiskBackupEnabled) bills only `/` and leaves the
    /// resource disk to the last rule, as the peer does. `includedLUNs` (the job's diskIds, given when some disk is
    /// excluded) bills only the filesystems wholly on included disks (the disk of `/` and `/boot/efi` is LUN -1) and
    /// reports `totalsdSize`; when no disk maps to a LUN the mapping failed: everything is billed, flagged failed.
    public func billing(onlyOSDisk: Bool, includedLUNs: Set<Int>? = nil) -> StorageBilling {
        var billing = StorageBilling(totalUsedBytes: 0, sizeComputationFailed: unreadable)
        let osDisks = Set(
            filesystems.filter { ["/", "/boot/efi"].contains($0.mountPoint) }.flatMap(\.disks).map(\.name))
        func lun(_ disk: SurveyedDisk) -> Int? { osDisks.contains(disk.name) ? -1 : disk.lun }
        var scope = includedLUNs
        if scope != nil && !filesystems.contains(where: { $0.disks.contains { lun($0) != nil } }) {
            billing.sizeComputationFailed = true
            scope = nil
        }
        var sdBytes = 0
        var network = (types: [String](), seen: false, bytes: 0)
        var unknown = (types: [String](), bytes: 0)
        var sizes: [SurveyedFilesystem.Kind: Int] = [:]
        for row in filesystems {
            let used = row.usedBytes ?? 0
            var kind = row.kind
            if kind == .resourceDisk && onlyOSDisk { kind = .local }
            switch kind {
            case .networkOrUnion, .networkShare:
                if kind == .networkOrUnion && !network.types.contains(row.type) { network.types.append(row.type) }
                network.seen = true
                network.bytes += used
            case .resourceDisk, .ram, .loop, .glusterSnapshot:
                sizes[kind, default: 0] += used
            case .local:
                guard row.blockDevice else { continue }
                if scope != nil && row.source.hasPrefix("/dev/sd") { sdBytes += used }
                if onlyOSDisk && row.mountPoint != "/" { continue }
                if let scope, row.disks.isEmpty || !row.disks.allSatisfy({ lun($0).map(scope.contains) ?? false }) {
                    continue
                }
                if row.measured && row.usedBytes == nil { billing.sizeComputationFailed = true }
                billing.totalUsedBytes += used
                if !row.type.isEmpty && !Self.knownTypes.contains(row.type) {
                    if !unknown.types.contains(row.type) { unknown.types.append(row.type) }
                    unknown.bytes += used
                }
            }
        }
        if !unknown.types.isEmpty {
            billing.telemetry += [
                MetadataEntry(key: "unknownFSTypeInDf", value: SystemFacts.pythonList(unknown.types)),
                MetadataEntry(key: "totalUsedunknownFS", value: String(unknown.bytes / 1024)),
            ]
        }
        if network.seen {
            if !network.types.isEmpty {
                billing.telemetry.append(
                    MetadataEntry(key: "networkFSTypeInDf", value: SystemFacts.pythonList(network.types)))
            }
            billing.telemetry.append(MetadataEntry(key: "totalUsedNetworkShare", value: String(network.bytes / 1024)))
        }
        for (key, kind) in [
            ("glusterFSSize", SurveyedFilesystem.Kind.glusterSnapshot), ("tempDisksSize", .resourceDisk),
            ("ramDisksSize", .ram), ("loopDevicesSize", .loop),
        ] {
            let kibibytes = (sizes[kind] ?? 0) / 1024
            if kibibytes > 0 { billing.telemetry.append(MetadataEntry(key: key, value: String(kibibytes))) }
        }
        if sdBytes / 1024 > 0 {
            billing.telemetry.append(MetadataEntry(key: "totalsdSize", value: String(sdBytes / 1024)))
        }
        return billing
    }

    /// This machine's rows now.
    public static func current(mountInfoPath: String = "/proc/self/mountinfo") -> StorageSurvey {
        guard let text = try? String(contentsOfFile: mountInfoPath, encoding: .utf8) else {
            return StorageSurvey(partitionCount: 0, filesystems: [], unreadable: true)
        }
        return survey(mountInfo: text, devices: BlockDevices.read(), disksOf: { BlockDevices.disks(ofDevice: $0) }) {
            mountPoint in
            var figures = statvfs()
            guard statvfs(mountPoint, &figures) == 0 else { return nil }
            return Int(figures.f_blocks - figures.f_bfree) * Int(figures.f_frsize)
        }
    }
}

/// One filesystem of the survey: where, what, which of the peer's df rules it falls under, and its used bytes.
public struct SurveyedFilesystem: Sendable, Equatable {
    /// The first of the peer's df rules that matches (storage-details.md §1 step 4).
    public enum Kind: Sendable, Hashable {
        /// Rule 1: a network, union or copy-on-write filesystem (totalUsedNetworkShare, networkFSTypeInDf).
        case networkOrUnion
        /// Rule 2: the resource disk (tempDisksSize), found by its VMBus identity.
        case resourceDisk
        /// Rule 3: tmpfs and the like (ramDisksSize).
        case ram
        /// Rule 4: a loop device (loopDevicesSize).
        case loop
        /// Rule 5: a Gluster snapshot under /run/gluster/snaps/ (glusterFSSize).
        case glusterSnapshot
        /// Rule 6: an SMB share by its `//server/share` source (totalUsedNetworkShare).
        case networkShare
        /// Rule 7: a local filesystem, billed when it is a block device.
        case local
    }

    public var mountPoint: String
    public var type: String
    public var kind: Kind
    /// Whether the source is a block device (only those are billed).
    public var blockDevice: Bool
    /// The mount source, e.g. `/dev/sdc1`.
    public var source: String
    /// The disks a block device lies on (through partitions and LVM), with their LUNs.
    public var disks: [SurveyedDisk] = []
    /// Whether statvfs was asked (never for a network filesystem).
    public var measured = false
    /// Used bytes; nil when not measured or statvfs failed.
    public var usedBytes: Int?

    public init(
        mountPoint: String, type: String, kind: Kind, blockDevice: Bool, source: String = "", measured: Bool = false,
        usedBytes: Int? = nil, disks: [SurveyedDisk] = []
    ) {
        self.mountPoint = mountPoint
        self.type = type
        self.kind = kind
        self.blockDevice = blockDevice
        self.source = source
        self.disks = disks
        self.measured = measured
        self.usedBytes = usedBytes
    }
}

/// A disk under a filesystem: its name (`sdc`) and SCSI LUN, nil when it has none (not SCSI, or unknown).
public struct SurveyedDisk: Sendable, Equatable {
    public var name: String
    public var lun: Int?

    public init(name: String, lun: Int?) {
        self.name = name
        self.lun = lun
    }
}

/// The storage figures of one job: storageDetails' total and flag, and the final report's df telemetry (KiB).
public struct StorageBilling: Sendable, Equatable {
    public var totalUsedBytes: Int
    /// Whether statvfs failed for a filesystem that is billed (its bytes are then missing from the total).
    public var sizeComputationFailed: Bool
    /// unknownFSTypeInDf/totalUsedunknownFS, networkFSTypeInDf/totalUsedNetworkShare, glusterFSSize,
    /// tempDisksSize, ramDisksSize, loopDevicesSize, totalsdSize: each only when seen (the sizes only when non-zero).
    public var telemetry: [MetadataEntry] = []
}
