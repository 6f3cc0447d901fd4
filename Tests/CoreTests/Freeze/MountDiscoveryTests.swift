import Core
import Testing

struct MountDiscoveryTests {
    private let mountInfo = """
        22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
        23 22 0:21 / /proc rw,nosuid shared:2 - proc proc rw
        24 22 8:17 / /data rw,relatime shared:3 - xfs /dev/sdc1 rw
        25 22 8:33 / /mnt rw,relatime shared:4 - ext4 /dev/sdb1 rw
        26 22 8:17 /sub /srv/bind rw,relatime shared:3 - xfs /dev/sdc1 rw
        27 22 8:49 / /var/lib/docker rw,relatime shared:5 - btrfs /dev/sdd1 rw
        28 22 8:65 / /mnt/with\\040space rw,relatime shared:6 - ext3 /dev/sde1 rw
        29 22 8:81 / /scratch/one rw,relatime shared:7 - ext4 /dev/sdf1 rw
        30 22 8:97 / /mnt/resource rw,relatime shared:8 - ext4 /dev/sdg1 rw
        31 22 0:40 / /run rw,nosuid shared:9 - tmpfs tmpfs rw
        """

    @Test func selectsFreezableFilesystemsWithRootLast() {
        let mounts = MountDiscovery.select(mountInfo: mountInfo, mountsToSkip: [], resourceDiskDevices: ["/dev/sdb1"])
        #expect(mounts == ["/data", "/var/lib/docker", "/mnt/with space", "/scratch/one", "/"])
    }

    @Test func keepsMntWhenItIsNotTheResourceDisk() {
        let mounts = MountDiscovery.select(mountInfo: mountInfo, mountsToSkip: [], resourceDiskDevices: [])
        #expect(mounts.contains("/mnt"))
        #expect(!mounts.contains("/mnt/resource"))
    }

    @Test func skipsExactPathsAndGlobs() {
        let mounts = MountDiscovery.select(
            mountInfo: mountInfo, mountsToSkip: ["/data", "/scratch/*", "/mnt/with space"],
            resourceDiskDevices: ["/dev/sdb1"])
        #expect(mounts == ["/var/lib/docker", "/"])
    }

    @Test func aGlobStarDoesNotCrossSlashes() {
        let mounts = MountDiscovery.select(mountInfo: mountInfo, mountsToSkip: ["/var/*"], resourceDiskDevices: [])
        #expect(mounts.contains("/var/lib/docker"))
    }

    @Test func bindMountOfAFrozenDeviceIsSkipped() {
        let mounts = MountDiscovery.select(mountInfo: mountInfo, mountsToSkip: [], resourceDiskDevices: [])
        #expect(!mounts.contains("/srv/bind"))
    }

    @Test func malformedLinesAreIgnored() {
        #expect(MountInfoEntry(line: "garbage line") == nil)
        let mounts = MountDiscovery.select(mountInfo: "x y z\n", mountsToSkip: [], resourceDiskDevices: [])
        #expect(mounts.isEmpty)
    }
}
