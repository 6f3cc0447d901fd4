import Core
import Foundation
import TestSupport
import Testing

/// The job's time budget with the real script plugin: the scripts' timeouts count, a hung script is killed at
/// its timeout or at a cancellation, the post-script still runs, and the job ends with a terminal status.
@Suite(.serialized) struct JobBudgetTests {
    @Test func budgetAddsTheScriptsTimeoutsAndIsInTheStatusBlob() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let fixture = try ScriptFixture()
        try fixture.config([
            "preScriptLocation": fixture.script("pre.sh", "exit 0"),
            "postScriptLocation": fixture.script("post.sh", "exit 0"), "timeoutInSeconds": 900,
        ])
        var options = scenario.options(deadline: .seconds(30))
        options.scripts = fixture.plugin
        let budget = JobBudget(options)
        #expect(budget.preScript == .seconds(900) && budget.postScript == .seconds(900))
        #expect(budget.work == .seconds(1830))
        #expect(budget.total == .seconds(1840))
        let started = Date()
        let result = await SnapshotJob(settings: try scenario.settings(), options: options).run()
        #expect(result.code == 0 || result.code == 1, "\(result.message)")
        let shown = try #require(try scenario.statusDocument()?.status.progress?.budget)
        #expect(shown.preScriptSeconds == 900 && shown.postScriptSeconds == 900)
        #expect(shown.snapshotSeconds == 30 && shown.reportingSeconds == 10)
        let deadline = try #require(ISO8601DateFormatter().date(from: shown.deadlineUTC))
        let workDeadline = try #require(ISO8601DateFormatter().date(from: shown.workDeadlineUTC))
        #expect(abs(deadline.timeIntervalSince(started) - 1840) < 60)
        #expect(deadline.timeIntervalSince(workDeadline) == 10)
    }

    @Test func clampedTimeoutIsLoggedByTheJob() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let fixture = try ScriptFixture()
        try fixture.config(["preScriptLocation": fixture.script("pre.sh", "exit 0"), "timeoutInSeconds": 2400])
        var options = scenario.options()
        options.scripts = fixture.plugin
        let result = await SnapshotJob(settings: try scenario.settings(), options: options).run()
        #expect(result.code <= 1, "a clamped timeout is no configuration error: \(result.message)")
        let log = try String(contentsOfFile: scenario.logDirectory + "/extension.log", encoding: .utf8)
        #expect(log.contains("timeoutInSeconds 2400 is above 1800: clamped to 1800 s"), "\(log)")
        #expect(try scenario.statusDocument()?.status.progress?.budget?.preScriptSeconds == 1800)
    }

    @Test func hungPreScriptIsKilledAtItsTimeoutAndThePostScriptStillRuns() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let fixture = try ScriptFixture()
        let marker = fixture.directory + "/post-ran"
        try fixture.config([
            "preScriptLocation": fixture.script("pre.sh", "sleep 600 & echo $! > \"\(fixture.directory)/child\"; wait"),
            "postScriptLocation": fixture.script("post.sh", "touch \"\(marker)\""), "timeoutInSeconds": 2,
            "continueBackupOnFailure": false,
        ])
        var options = scenario.options()
        options.scripts = fixture.plugin
        let result = await SnapshotJob(settings: try scenario.settings(), options: options).run()
        #expect(result.code == 308, "\(result.message)")
        #expect(result.status == "error")
        #expect(FileManager.default.fileExists(atPath: marker), "the post-script did not run")
        let child = try #require(fixture.lines("child").first.flatMap { pid_t($0) })
        #expect(await ProcessState.ends(child), "the pre-script's background child survived its timeout")
        let status = try String(contentsOfFile: scenario.statusDirectory + "/0.status", encoding: .utf8)
        #expect(status.contains(#""status":"error""#) && status.contains(#""code":308"#))
        #expect(try scenario.statusDocument()?.status.progress?.finished == true)
        #expect(scenario.emulator.journal().filter { $0.operation == .snapshot }.isEmpty)
    }

    @Test func cancellingTheJobKillsTheRunningPreScriptAndStillRunsThePostScript() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let fixture = try ScriptFixture()
        let marker = fixture.directory + "/post-ran"
        try fixture.config([
            "preScriptLocation": fixture.script("pre.sh", "echo $$ > \"\(fixture.directory)/pre\"; sleep 600"),
            "postScriptLocation": fixture.script("post.sh", "touch \"\(marker)\""), "timeoutInSeconds": 1200,
        ])
        var options = scenario.options()
        options.scripts = fixture.plugin
        let job = SnapshotJob(settings: try scenario.settings(), options: options)
        let run = Task { await job.run() }
        while fixture.lines("pre").isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        job.cancel(reason: "SIGTERM")
        let result = await run.value
        #expect(result.code == 2, "\(result.message)")
        #expect(result.message.contains("SIGTERM"))
        #expect(FileManager.default.fileExists(atPath: marker), "the post-script did not run")
        let script = try #require(fixture.lines("pre").first.flatMap { pid_t($0) })
        #expect(await ProcessState.ends(script), "the pre-script survived the cancellation")
        let stages = try #require(try scenario.statusDocument()?.status.progress?.stages)
        #expect(stages.first { $0.stage == .preScript }?.detail.contains("cancelled") == true)
        #expect(stages.first { $0.stage == .postScript }?.state == .succeeded)
    }
}

/// The ledger of handled jobs and the VM it was recorded on.
@Suite struct JobLedgerIdentityTests {
    @Test func identityChangeForgetsTheLedgerAndSaysWhy() throws {
        let directory = try SettingsFixtures.temporaryDirectory("ledger")
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = JobLedger(directory: directory.path, identity: "smbios:aaaa")
        try original.record(taskID: "task-1", sequenceNumber: 5)
        #expect(try original.claim(sequenceNumber: 5))
        #expect(try !original.claim(sequenceNumber: 5), "a sequence number is claimed once")
        #expect(original.forgetIfMachineChanged() == nil, "same VM: nothing forgotten")
        #expect(original.alreadyHandled(taskID: "task-2", sequenceNumber: 5) != nil)

        let restored = JobLedger(directory: directory.path, identity: "smbios:bbbb")
        let reason = try #require(restored.forgetIfMachineChanged())
        #expect(reason.contains("smbios:aaaa") && reason.contains("smbios:bbbb"))
        #expect(reason.contains("sequence number 5"))
        #expect(restored.lastSequenceNumber == nil)
        #expect(restored.alreadyHandled(taskID: "task-1", sequenceNumber: 5) == nil)
        #expect(try restored.claim(sequenceNumber: 5), "the claims went with the ledger")
        try restored.record(taskID: "task-3", sequenceNumber: 5)
        #expect(restored.forgetIfMachineChanged() == nil, "the new VM's ledger is its own")
    }

    @Test func aJobOnARestoredVMRunsAgainForTheSameSequenceNumber() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        var options = scenario.options()
        options.machineIdentity = "smbios:original"
        #expect(await SnapshotJob(settings: try scenario.settings(), options: options).run().code == 1)
        #expect(await SnapshotJob(settings: try scenario.settings(), options: options).run().code == 3)
        options.machineIdentity = "smbios:restored"
        let result = await SnapshotJob(settings: try scenario.settings(), options: options).run()
        #expect(result.code == 1, "\(result.message)")
        let log = try String(contentsOfFile: scenario.logDirectory + "/extension.log", encoding: .utf8)
        #expect(log.contains("the VM's identity changed (recorded smbios:original, now smbios:restored"))
        #expect(scenario.emulator.journal().filter { $0.operation == .snapshot }.count == 2)
    }

    @Test func identityComesFromSMBIOSElseFromTheAgentsGoalState() throws {
        let directory = try SettingsFixtures.temporaryDirectory("identity")
        defer { try? FileManager.default.removeItem(at: directory) }
        let uuid = directory.appendingPathComponent("product_uuid")
        try Data("4C4C4544-0042-1234\n".utf8).write(to: uuid)
        #expect(
            VMIdentity.current(agentDirectory: directory.path, smbiosPath: uuid.path) == "smbios:4c4c4544-0042-1234")
        let missing = directory.appendingPathComponent("none").path
        #expect(VMIdentity.current(agentDirectory: directory.path, smbiosPath: missing) == nil)
        try Data("3".utf8).write(to: directory.appendingPathComponent("Incarnation"))
        try Data("<GoalState><Incarnation>3</Incarnation><InstanceId>vm.Role_IN_0</InstanceId></GoalState>".utf8)
            .write(to: directory.appendingPathComponent("GoalState.3.xml"))
        #expect(VMIdentity.current(agentDirectory: directory.path, smbiosPath: missing) == "role-instance:vm.Role_IN_0")
    }
}
