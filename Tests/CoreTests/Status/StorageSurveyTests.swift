import Core
import Foundation
import TestSupport
import Testing

/// storageDetails and the df-derived telemetry over every filesystem of a VM with several disks
/// (storage-details.md §1, §2), from mountinfo, never asking statvfs about a network filesystem.
struct StorageSurveyTests {
    private let mountInfo = """
        22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
        23 22 0:21 / /proc rw,nosuid shared:2 - proc proc rw
        24 22 8:15 / /boot/efi rw,relatime shared:3 - vfat /dev/sda15 rw
        25 22 8:33 / /datadrive rw,relatime shared:4 - xfs /dev/sdc1 rw
        26 22 8:33 /sub /srv/bind rw,relatime shared:4 - xfs /dev/sdc1 rw
        27 22 8:17 / /mnt rw,relatime shared:5 - ext4 /dev/sdb1 rw
        28 22 8:49 / /var/lib/docker rw,relatime shared:6 - btrfs /dev/sdd1 rw
        29 22 7:0 / /images rw,relatime shared:7 - ext4 /dev/loop0 rw
        30 22 0:50 / /mnt/nfs rw,relatime shared:8 - nfs4 server:/export rw
        31 22 0:40 / /run rw,nosuid shared:9 - tmpfs tmpfs rw
        32 22 253:0 / /var/lib/db rw,relatime shared:10 - ext4 /dev/mapper/vg-db rw
        33 22 0:60 / /mnt/smb rw,relatime shared:11 - smb3 //server/share rw
        34 22 0:61 / /misc rw,relatime shared:12 - autofs systemd-1 rw
        35 22 253:5 / /run/gluster/snaps/s1/brick1 rw,relatime shared:13 - xfs /dev/mapper/snap rw
        36 22 0:70 / /var/lib/docker/overlay2/x/merged rw,relatime shared:14 - overlay overlay rw
        """
    private let resource = BlockDevices(resourceDiskDevices: ["8:16", "8:17"], resourceDiskIdentity: "VMBus")
    private let kib = 1024
    private var used: [String: Int] {
        [
            "/": 4096 * kib, "/boot/efi": 2048 * kib, "/datadrive": 1 << 30, "/var/lib/db": 7 * kib, "/mnt": 3 * kib,
            "/var/lib/docker": 10 * kib, "/images": 20 * kib, "/run": 5 * kib, "/run/gluster/snaps/s1/brick1": 6 * kib,
            "/var/lib/docker/overlay2/x/merged": 30 * kib,
        ]
    }

    private func telemetry(_ billing: StorageBilling) -> [String] { billing.telemetry.map { "\($0.key)=\($0.value)" } }

    @Test func eachRowFollowsThePeersRulesAndNetworkFilesystemsAreNeverAskedAbout() {
        var asked: [String] = []
        let survey = StorageSurvey.survey(mountInfo: mountInfo, devices: resource) { mount in
            asked.append(mount)
            return used[mount]
        }
        // ext3/ext4/xfs/btrfs block filesystems, once each: /, /datadrive, /mnt, docker, /images, db, the snapshot.
        #expect(survey.partitionCount == 7)
        #expect(
            asked.sorted() == used.keys.sorted(),
            "statvfs for every local filesystem once: never NFS, SMB, an automount point, /proc or a bind mount twice")
        let billing = survey.billing(onlyOSDisk: false)
        #expect(billing.totalUsedBytes == (4096 + 2048 + 7) * kib + (1 << 30))
        #expect(!billing.sizeComputationFailed)
        #expect(
            telemetry(billing) == [
                "unknownFSTypeInDf=['vfat']", "totalUsedunknownFS=2048",
                "networkFSTypeInDf=['btrfs', 'nfs4', 'overlay']", "totalUsedNetworkShare=40", "glusterFSSize=6",
                "tempDisksSize=3", "ramDisksSize=5", "loopDevicesSize=20",
            ])
    }

    @Test func onlyTheOSDiskBillsOnlyRootAndTheResourceDiskIsNoLongerATempDisk() {
        let survey = StorageSurvey.survey(mountInfo: mountInfo, devices: resource) { used[$0] }
        let billing = survey.billing(onlyOSDisk: true)
        #expect(billing.totalUsedBytes == 4096 * kib)
        #expect(!telemetry(billing).contains { $0.hasPrefix("tempDisksSize") || $0.hasPrefix("unknownFSTypeInDf") })
        #expect(telemetry(billing).contains("ramDisksSize=5"))
    }

    @Test func emptyCategoriesAreLeftOut() {
        let survey = StorageSurvey.survey(
            mountInfo: "22 1 8:1 / / rw shared:1 - ext4 /dev/sda1 rw\n31 22 0:40 / /run rw - tmpfs tmpfs rw",
            devices: BlockDevices()
        ) { $0 == "/" ? 8 * 1024 : 0 }
        #expect(survey.billing(onlyOSDisk: false).telemetry.isEmpty)
        #expect(survey.billing(onlyOSDisk: false).totalUsedBytes == 8 * 1024)
    }

    @Test func aFailedStatvfsIsFlagged() {
        let survey = StorageSurvey.survey(mountInfo: mountInfo, devices: resource) { $0 == "/" ? nil : 1 }
        let billing = survey.billing(onlyOSDisk: false)
        #expect(billing.sizeComputationFailed)
        #expect(billing.totalUsedBytes == 3)
    }

    @Test func thisMachinesFiguresComeFromStatvfs() {
        let billing = StorageSurvey.current().billing(onlyOSDisk: false)
        #expect(!billing.sizeComputationFailed)
        #expect(StorageSurvey.current().partitionCount >= 1 && billing.totalUsedBytes > 0, "\(billing)")
    }

    @Test func aRealLoopMountedExt4IsALoopDeviceAndNotBilled() throws {
        let filesystems = try LoopFilesystem.create(count: 1)
        defer { filesystems.forEach { $0.remove() } }
        let mount = try LoopFilesystem.testOwnedMounts(filesystems)[0]
        #expect(FileManager.default.createFile(atPath: mount + "/data", contents: Data(repeating: 7, count: 2 << 20)))
        let file = try FileHandle(forUpdating: URL(fileURLWithPath: mount + "/data"))
        try file.synchronize()
        try file.close()
        let survey = StorageSurvey.current()
        let row = try #require(survey.filesystems.first { $0.mountPoint == mount }, "\(survey.filesystems)")
        #expect(row.kind == .loop && row.type == "ext4" && row.measured)
        #expect((row.usedBytes ?? 0) >= 2 << 20, "\(row)")
        let alone = StorageSurvey(partitionCount: 1, filesystems: [row]).billing(onlyOSDisk: false)
        #expect(alone.totalUsedBytes == 0)
        #expect(alone.telemetry == [MetadataEntry(key: "loopDevicesSize", value: String((row.usedBytes ?? 0) / 1024))])
        let whole = survey.billing(onlyOSDisk: false).telemetry.first { $0.key == "loopDevicesSize" }
        #expect(Int(whole?.value ?? "") ?? 0 >= 2048, "\(String(describing: whole))")
    }

    /// A sysfs tree: sda (LUN 0, the OS disk) with sda1 and sda15, sdc (LUN 1) with sdc1, sdd (LUN 2) with sdd1, and
    /// dm-0, an LVM volume over sdc1 and sdd1.
    private func fakeSysfs() throws -> URL {
        let root = try SettingsFixtures.temporaryDirectory("sysfs")
        let files = FileManager.default
        func directory(_ path: String) throws -> URL {
            let url = root.appendingPathComponent(path)
            try files.createDirectory(at: url, withIntermediateDirectories: true)
            return url
        }
        func link(_ path: String, to target: String) throws {
            _ = try directory((path as NSString).deletingLastPathComponent)
            try files.createSymbolicLink(
                atPath: root.appendingPathComponent(path).path,
                withDestinationPath: root.appendingPathComponent(target).path)
        }
        for (disk, address, partitions) in [
            ("sda", "0:0:0:0", [("sda1", "8:1"), ("sda15", "8:15")]), ("sdc", "1:0:0:1", [("sdc1", "8:33")]),
            ("sdd", "1:0:0:2", [("sdd1", "8:49")]),
        ] {
            let device = "devices/vmbus/\(address)"
            _ = try directory(device)
            let block = try directory("\(device)/block/\(disk)")
            try link("class/block/\(disk)", to: "\(device)/block/\(disk)")
            try link("\(device)/block/\(disk)/device", to: device)
            for (partition, number) in partitions {
                let node = block.appendingPathComponent(partition)
                try files.createDirectory(at: node, withIntermediateDirectories: true)
                try Data("1".utf8).write(to: node.appendingPathComponent("partition"))
                try Data("\(number)\n".utf8).write(to: node.appendingPathComponent("dev"))
                try link("dev/block/\(number)", to: "\(device)/block/\(disk)/\(partition)")
                try link("class/block/\(partition)", to: "\(device)/block/\(disk)/\(partition)")
            }
        }
        _ = try directory("devices/virtual/block/dm-0/slaves/sdc1")
        _ = try directory("devices/virtual/block/dm-0/slaves/sdd1")
        try link("dev/block/253:0", to: "devices/virtual/block/dm-0")
        return root
    }

    @Test func disksAndLUNsComeFromSysfsThroughPartitionsAndLVM() throws {
        let root = try fakeSysfs()
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(BlockDevices.disks(ofDevice: "8:33", sysfsRoot: root.path) == [SurveyedDisk(name: "sdc", lun: 1)])
        #expect(
            BlockDevices.disks(ofDevice: "253:0", sysfsRoot: root.path) == [
                SurveyedDisk(name: "sdc", lun: 1), SurveyedDisk(name: "sdd", lun: 2),
            ])
        #expect(BlockDevices.disks(ofDevice: "9:9", sysfsRoot: root.path).isEmpty)
    }

    @Test func withADiskExcludedOnlyFilesystemsWhollyOnIncludedDisksAreBilled() throws {
        let root = try fakeSysfs()
        defer { try? FileManager.default.removeItem(at: root) }
        let survey = StorageSurvey.survey(
            mountInfo: mountInfo, devices: resource, disksOf: { BlockDevices.disks(ofDevice: $0, sysfsRoot: root.path) }
        ) { used[$0] }
        // Included: the OS disk (-1: it holds / and /boot/efi) and LUN 1; LUN 2 (sdd) is excluded, and the LVM
        // volume spans sdc and sdd.
        let billing = survey.billing(onlyOSDisk: false, includedLUNs: [-1, 1])
        #expect(billing.totalUsedBytes == (4096 + 2048) * kib + (1 << 30))
        #expect(!billing.sizeComputationFailed)
        // /dev/sd* rows of the last rule: /, /boot/efi, /datadrive (/var/lib/docker is btrfs, the first rule's).
        let sd = ((4096 + 2048) * kib + (1 << 30)) / kib
        #expect(telemetry(billing).contains("totalsdSize=\(sd)"), "\(telemetry(billing))")
        #expect(!telemetry(survey.billing(onlyOSDisk: false)).contains { $0.hasPrefix("totalsdSize") })
    }

    @Test func aLUNMappingThatFindsNothingBillsEverythingAndIsFlagged() {
        let survey = StorageSurvey.survey(mountInfo: mountInfo, devices: resource) { used[$0] }
        let billing = survey.billing(onlyOSDisk: false, includedLUNs: [-1])
        #expect(billing.sizeComputationFailed)
        #expect(billing.totalUsedBytes == survey.billing(onlyOSDisk: false).totalUsedBytes)
    }
}
