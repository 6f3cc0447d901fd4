import Core
import Foundation
import TestSupport
import Testing

/// The job plan resolver: one precedence rule (command line, vmsnap config, vmbackup.conf, default), skip lists
/// added up with their sources, and the vmbackup.conf keys that take effect in the job's options.
@Suite struct JobPlanTests {
    private func resolve(
        _ fixture: PlanFixture, _ overrides: JobPlanOverrides = .agentJob()
    ) throws -> JobPlan {
        try JobPlan.resolve(sources: fixture.sources, overrides: overrides)
    }

    @Test func withNoFilesEverySettingIsTheDefault() throws {
        let fixture = try PlanFixture()
        defer { fixture.remove() }
        let plan = try resolve(fixture)
        #expect(plan.settingRows.allSatisfy { $0.source == .builtIn }, "\(plan.settingRows)")
        #expect(plan.freezeTimeoutSeconds.value == 60 && plan.freezeLockWaitSeconds.value == 30)
        #expect(plan.mountsToFreeze == ["/data", "/srv", "/"])
        #expect(
            plan.mounts.first { $0.mountPoint == "/images" }?.skipReasons.map(\.value) == ["loop-backed (/dev/loop0)"])
        #expect(plan.scriptsSummary.hasPrefix("none ("))
        #expect(plan.configurationPath == nil && plan.vmbackupConf == nil)
    }

    @Test func commandLineBeatsVMSnapConfigBeatsVMBackupConfBeatsDefault() throws {
        let fixture = try PlanFixture()
        defer { fixture.remove() }
        let conf = try fixture.writeVMBackupConf("[SnapshotThread]\n# the operator's fix\ntimeout = 90\n")
        var plan = try resolve(fixture)
        #expect(plan.freezeTimeoutSeconds == Sourced(90, .vmbackupConf(path: conf, line: 3, key: "timeout")))
        let config = try fixture.writeConfiguration(["freezeTimeoutSeconds": 45, "freezeLockWaitSeconds": 5])
        plan = try resolve(fixture)
        #expect(
            plan.freezeTimeoutSeconds
                == Sourced(45, .vmsnapConfiguration(path: config, key: "freezeTimeoutSeconds")))
        #expect(plan.freezeLockWaitSeconds.value == 5)
        plan = try resolve(
            fixture, JobPlanOverrides(freezesByDefault: true, freezeTimeoutSeconds: 20, freezeLockWaitSeconds: 2))
        #expect(plan.freezeTimeoutSeconds == Sourced(20, .commandLine("--freeze-timeout-seconds")))
        #expect(plan.freezeLockWaitSeconds == Sourced(2, .commandLine("--freeze-lock-wait")))
        #expect(plan.options().freezeTimeout == .seconds(20))
    }

    @Test func vmbackupConfCannotLengthenAFreezePastTheCap() throws {
        let fixture = try PlanFixture()
        defer { fixture.remove() }
        try fixture.writeVMBackupConf("[SnapshotThread]\ntimeout = 900\nSafeFreezeWaitInSeconds = 600\n")
        var plan = try resolve(fixture)
        #expect(plan.freezeTimeoutSeconds.value == 300)
        #expect(plan.freezeWaitSeconds.value == 300, "the freeze wait never exceeds the freeze timeout")
        #expect(plan.warnings.contains { $0.contains("line 2") && $0.contains("capped at vmsnap's limit of 300 s") })
        try fixture.writeVMBackupConf("[SnapshotThread]\ntimeout = 0\nSafeFreezeWaitInSeconds = 1\n")
        plan = try resolve(fixture)
        #expect(plan.freezeTimeoutSeconds == Sourced(60, .builtIn))
        #expect(plan.freezeWaitSeconds.value == 1)
        #expect(plan.warnings.contains { $0.contains("timeout = 0 must be at least 1") })
    }

    @Test func bothSkipListsApplyEachWithItsSource() throws {
        let fixture = try PlanFixture()
        defer { fixture.remove() }
        let config = try fixture.writeConfiguration(["mountsToSkip": ["/d*"]])
        let conf = try fixture.writeVMBackupConf("[SnapshotThread]\nMountsToSkip = /srv, /data\n")
        let plan = try resolve(fixture)
        #expect(plan.mountsToFreeze == ["/"])
        let data = try #require(plan.mounts.first { $0.mountPoint == "/data" })
        #expect(
            data.skipReasons == [
                Sourced("listed in mountsToSkip (/d*)", .vmsnapConfiguration(path: config, key: "mountsToSkip")),
                Sourced("listed in MountsToSkip (/data)", .vmbackupConf(path: conf, line: 2, key: "MountsToSkip")),
            ])
        let named = try resolve(
            fixture, JobPlanOverrides(freeze: true, freezesByDefault: false, mounts: ["/srv", "/"]))
        #expect(named.mountsToFreeze == ["/"], "skip lists apply to named mounts too")
    }

    @Test func vmbackupConfKeysTakeEffectInTheJobOptions() throws {
        let fixture = try PlanFixture()
        defer { fixture.remove() }
        try fixture.writeVMBackupConf(
            "[SnapshotThread]\nseqsnapshot = 2\nUploadStatusAndLog = False\nWriteLog = False\nSafeFreezeWaitInSeconds = 5\n"
        )
        let plan = try resolve(fixture)
        let options = plan.options(statusDirectory: "/s", logDirectory: "/l", stateDirectory: "/t")
        #expect(options.snapshotConcurrency == 1)
        #expect(!options.uploadsStatusAndLog)
        #expect(options.logDirectory == nil && options.statusDirectory == "/s")
        let freezer = try #require(options.freezer as? GuardedFreezer)
        #expect(freezer.mounts == ["/data", "/srv", "/"])
        #expect(freezer.freezeWait == .seconds(5) && freezer.lockWait == .seconds(30))
        try fixture.writeVMBackupConf("[SnapshotThread]\nseqsnapshot = 0\n")
        #expect(try resolve(fixture).options().snapshotConcurrency == nil)
    }

    @Test func freezingOffIsAReasonForEveryMount() throws {
        let fixture = try PlanFixture()
        defer { fixture.remove() }
        let plan = try resolve(fixture, JobPlanOverrides(freeze: false, freezesByDefault: true))
        #expect(plan.mountsToFreeze.isEmpty && plan.options().freezer == nil)
        #expect(plan.mounts.allSatisfy { $0.skipReasons.first == Sourced("freezing is off", .commandLine("--freeze")) })
    }

    @Test func scriptsComeFromTheConfigurationsScriptConfig() throws {
        let fixture = try PlanFixture()
        defer { fixture.remove() }
        let scripts = try fixture.writeScriptConfig()
        try FileManager.default.moveItem(atPath: scripts, toPath: fixture.url("scripts.json").path)
        let config = try fixture.writeConfiguration(["scriptConfig": fixture.url("scripts.json").path])
        let plan = try resolve(fixture)
        #expect(plan.scriptConfigPath.source == .vmsnapConfiguration(path: config, key: "scriptConfig"))
        #expect(
            plan.scriptsSummary
                == "pre \(fixture.url("pre.sh").path), post \(fixture.url("post.sh").path) (timeout 30 s)")
    }

    @Test func problemsNameTheirFile() throws {
        let fixture = try PlanFixture()
        defer { fixture.remove() }
        try fixture.writeConfiguration(["freezeLockWaitSeconds": 500])
        #expect(throws: JobPlanError.self) { try resolve(fixture) }
        var sources = fixture.sources
        sources.configurationDefaultPath = "/nonexistent.json"
        sources.vmbackupConfPath = "/nonexistent/vmbackup.conf"
        let error = #expect(throws: JobPlanError.self) {
            try JobPlan.resolve(sources: sources, overrides: .agentJob())
        }
        #expect(error?.description == "--vmbackup-conf /nonexistent/vmbackup.conf: no such file")
    }

    @Test func showListsEverySettingMountAndReasonWithSources() throws {
        let fixture = try PlanFixture()
        defer { fixture.remove() }
        try fixture.writeVMBackupConf("[SnapshotThread]\nMountsToSkip = /srv\nsudo_off = 1\n")
        let plan = try resolve(fixture)
        let text = plan.text()
        #expect(text.contains("freezeTimeoutSeconds     60 s  [default]"), "\(text)")
        #expect(
            text.contains("listed in MountsToSkip (/srv)  [\(fixture.url("vmbackup.conf").path) line 2 MountsToSkip]"))
        #expect(text.contains("line 3 sudo_off = 1: vmsnap runs neither lsscsi nor pvs"))
        #expect(!text.contains("Warnings:"), "a key without effect is listed once, not also as a warning")
        #expect(
            plan.logLines.contains { $0.hasSuffix("line 3 sudo_off has no effect: vmsnap runs neither lsscsi nor pvs") }
        )
        let json = try #require(try JSONSerialization.jsonObject(with: Data(plan.json().utf8)) as? [String: Any])
        #expect(json["mountsToFreeze"] as? [String] == ["/data", "/"])
        let mounts = try #require(json["mounts"] as? [[String: Any]])
        let srv = try #require(mounts.first { $0["mountPoint"] as? String == "/srv" })
        let reason = try #require((srv["skipReasons"] as? [[String: Any]])?.first)
        let source = try #require(reason["source"] as? [String: Any])
        #expect(source["kind"] as? String == "vmbackupConf" && source["line"] as? Int == 2)
    }
}
