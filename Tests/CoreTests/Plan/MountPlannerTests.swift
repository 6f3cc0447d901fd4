import Core
import Testing

struct MountPlannerTests {
    private let mountInfo = """
        22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
        23 22 0:21 / /proc rw,nosuid shared:2 - proc proc rw
        24 22 8:17 / /data rw,relatime shared:3 - xfs /dev/sdc1 rw
        25 22 8:33 / /mnt rw,relatime shared:4 - ext4 /dev/sdb1 rw
        26 22 8:17 /sub /srv/bind rw,relatime shared:3 - xfs /dev/sdc1 rw
        27 22 8:49 / /var/lib/docker rw,relatime shared:5 - btrfs /dev/sdd1 rw
        28 22 8:65 / /mnt/with\\040space rw,relatime shared:6 - ext3 /dev/sde1 rw
        29 22 8:81 / /scratch/one rw,relatime shared:7 - ext4 /dev/sdf1 rw
        30 22 7:3 / /images/disk rw,relatime shared:8 - ext4 /dev/loop3 rw
        31 22 0:40 / /run rw,nosuid shared:9 - tmpfs tmpfs rw
        32 22 8:97 / /media/resource rw,relatime shared:10 - ext4 /dev/sdg1 rw
        """
    private let resource = BlockDevices(resourceDiskDevices: ["8:97", "8:96"], resourceDiskIdentity: "VMBus test")
    private let configSource = SettingSource.vmsnapConfiguration(path: "/etc/vmsnap/config.json", key: "mountsToSkip")
    private let confSource = SettingSource.vmbackupConf(path: "/etc/azure/vmbackup.conf", line: 3, key: "MountsToSkip")

    private func plan(
        explicit: [String]? = nil, skip: [MountSkipRule] = [], devices: BlockDevices? = nil
    ) throws -> [MountDecision] {
        try MountPlanner.decide(
            mountInfo: mountInfo, explicit: explicit.map { Sourced($0, .commandLine("--mount")) }, skipRules: skip,
            devices: devices ?? resource)
    }

    private func reasons(_ decisions: [MountDecision], _ mount: String) -> [Sourced<String>] {
        decisions.first { $0.mountPoint == mount }?.skipReasons ?? []
    }

    @Test func freezesFreezableFilesystemsOnceWithRootLast() throws {
        let decisions = try plan()
        #expect(
            MountPlanner.freezeOrder(decisions, explicit: nil) == [
                "/data", "/mnt", "/var/lib/docker", "/mnt/with space", "/scratch/one", "/",
            ])
        #expect(reasons(decisions, "/proc").map(\.value) == ["proc is not frozen (only ext3, ext4, xfs, btrfs)"])
        #expect(reasons(decisions, "/srv/bind").map(\.value) == ["the same filesystem as /data, frozen there"])
    }

    @Test func loopBackedAndResourceDiskMountsAreSkippedWhereverTheyAre() throws {
        let decisions = try plan()
        #expect(reasons(decisions, "/images/disk") == [Sourced("loop-backed (/dev/loop3)", .builtIn)])
        #expect(reasons(decisions, "/media/resource") == [Sourced("the Azure resource disk (VMBus test)", .builtIn)])
        #expect(reasons(try plan(devices: BlockDevices()), "/media/resource").isEmpty, "found by identity, not path")
    }

    @Test func namedMountsAreFrozenEvenOnLoopDevicesButSkipListsStillApply() throws {
        let named = try plan(
            explicit: ["/images/disk", "/data/", "/"],
            skip: [MountSkipRule(pattern: "/data", glob: false, source: confSource)])
        #expect(MountPlanner.freezeOrder(named, explicit: ["/images/disk", "/data/", "/"]) == ["/images/disk", "/"])
        #expect(reasons(named, "/data") == [Sourced("listed in MountsToSkip (/data)", confSource)])
        #expect(reasons(named, "/scratch/one") == [Sourced("not named by --mount", .commandLine("--mount"))])
    }

    @Test func everyReasonIsListedWithItsSource() throws {
        let decisions = try plan(skip: [
            MountSkipRule(pattern: "/scratch/*", glob: true, source: configSource),
            MountSkipRule(pattern: "/scratch/one", glob: false, source: confSource),
        ])
        #expect(
            reasons(decisions, "/scratch/one") == [
                Sourced("listed in mountsToSkip (/scratch/*)", configSource),
                Sourced("listed in MountsToSkip (/scratch/one)", confSource),
            ])
    }

    @Test func skippingAMountSkipsItsFilesystemEverywhere() throws {
        let decisions = try plan(skip: [MountSkipRule(pattern: "/data", glob: false, source: confSource)])
        #expect(reasons(decisions, "/srv/bind") == [Sourced("its filesystem is skipped at /data", confSource)])
    }

    @Test func aGlobStarDoesNotCrossSlashesAndExactRulesAreExact() throws {
        let decisions = try plan(skip: [
            MountSkipRule(pattern: "/var/*", glob: true, source: configSource),
            MountSkipRule(pattern: "/mnt/*", glob: false, source: confSource),
        ])
        #expect(MountPlanner.freezeOrder(decisions, explicit: nil).contains("/var/lib/docker"))
        #expect(MountPlanner.freezeOrder(decisions, explicit: nil).contains("/mnt/with space"))
    }

    @Test func namedMountsMustBeMountPoints() {
        #expect(throws: MountPlanError.self) { try plan(explicit: ["/data/sub"]) }
        #expect(throws: MountPlanError.self) { try plan(explicit: ["relative"]) }
    }

    @Test func malformedLinesAreIgnored() throws {
        #expect(MountInfoEntry(line: "garbage line") == nil)
        let decisions = try MountPlanner.decide(
            mountInfo: "x y z\n", explicit: nil, skipRules: [], devices: BlockDevices())
        #expect(decisions.isEmpty)
    }
}
