import Core
import Foundation
import Testing

/// storageDetails over every filesystem of a VM with several disks (storage-details.md §1), from mountinfo.
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
        """
    private let resource = BlockDevices(resourceDiskDevices: ["8:16", "8:17"], resourceDiskIdentity: "VMBus")

    @Test func countsEveryLocalFilesystemOnceAndBillsWhatThePeerBills() {
        var asked: [String] = []
        let used: [String: Int] = ["/": 4096, "/boot/efi": 100, "/datadrive": 1 << 30, "/var/lib/db": 7]
        let survey = StorageSurvey.survey(mountInfo: mountInfo, devices: resource) { mount in
            asked.append(mount)
            return used[mount]
        }
        // ext3/ext4/xfs/btrfs block filesystems, once each: /, /datadrive, /mnt (resource disk), docker, /images, db.
        #expect(survey.partitionCount == 6)
        #expect(survey.totalUsedBytes == 4096 + 100 + (1 << 30) + 7)
        #expect(!survey.sizeComputationFailed)
        #expect(
            asked.sorted() == ["/", "/boot/efi", "/datadrive", "/var/lib/db"],
            "never a network, RAM, loop, btrfs or resource-disk statvfs")
    }

    @Test func aFailedStatvfsIsFlagged() {
        let survey = StorageSurvey.survey(mountInfo: mountInfo, devices: resource) { $0 == "/" ? nil : 1 }
        #expect(survey.sizeComputationFailed)
        #expect(survey.totalUsedBytes == 3)
    }

    @Test func thisMachinesFiguresComeFromStatvfs() {
        let survey = StorageSurvey.current()
        #expect(!survey.sizeComputationFailed)
        #expect(survey.partitionCount >= 1 && survey.totalUsedBytes > 0, "\(survey)")
    }
}
