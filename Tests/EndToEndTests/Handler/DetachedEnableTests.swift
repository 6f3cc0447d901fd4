import Core
import Emulator
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `handler enable` as the guest agent runs it: it returns at once and the job goes on in a detached process.
@Suite struct DetachedEnableTests {
    /// The pid from enable's "started in process N" line.
    func jobPID(_ stdout: String) -> pid_t? {
        guard let range = stdout.range(of: "started in process ") else { return nil }
        return pid_t(stdout[range.upperBound...].prefix { $0.isNumber })
    }

    /// Snapshots taken by jobs, a job's own retries not counted: a request for a blob that follows a held request
    /// for it by the client's attempt timeout (30 s) is the same job trying again (a loaded CI machine can keep
    /// the test from releasing the hold that soon), where another job's request would come within seconds.
    func snapshots(_ scenario: SnapshotScenario) -> Int {
        var previous: [String: JournalEntry] = [:]
        var count = 0
        for entry in scenario.emulator.journal() where entry.operation == .snapshot {
            let blob = String(entry.path.prefix { $0 != "?" })
            let isRetry = previous[blob].map { $0.fault != nil && entry.time.timeIntervalSince($0.time) >= 29 } ?? false
            if !isRetry { count += 1 }
            previous[blob] = entry
        }
        return count
    }

    @Test func enableReturnsWithTransitioningStatusAndTheJobFinishesDetached() async throws {
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        // The snapshots are answered only when the test says so: a loaded machine cannot end the job early.
        scenario.emulator.setFaults([FaultRule(operation: .snapshot, action: .hold)])
        let plugin = try scenario.pluginDirectory(sequenceNumber: 1)
        let enable = try await BuiltBinary.run(
            ["handler", "enable", "--freeze", "off"], environment: ["ConfigSequenceNumber": "1"],
            currentDirectory: plugin)
        #expect(enable.status == 0, "\(enable.stderr)")
        // Enable is back while the snapshots are held: its status says so.
        #expect(HandlerStatus.word(plugin: plugin, sequenceNumber: 1) == "transitioning")
        let status = try String(contentsOf: plugin.appendingPathComponent("status/1.status"), encoding: .utf8)
        #expect(status.contains(#""code":4"#))
        let pid = try #require(jobPID(enable.stdout), "\(enable.stdout)")
        #expect(getsid(pid) == pid, "the job does not lead a session of its own")
        // The monitor sees the detached job live through its status blob, status file and log, as any job.
        let live = try await BuiltBinary.run([
            "status", "--once", "--json", "--status-blob", scenario.statusURI, "--plugin-dir", plugin.path,
            "--log-dir", plugin.appendingPathComponent("log").path,
        ])
        #expect(live.status == 4, "status --once should say running: \(live.stdout) \(live.stderr)")
        #expect(!scenario.leaksSignature(live.stdout + live.stderr))
        scenario.emulator.setFaults([])
        let terminal = try #require(await HandlerStatus.terminal(plugin: plugin, sequenceNumber: 1))
        #expect(terminal.contains(#""code":1"#), "\(terminal)")
        #expect(snapshots(scenario) == 2)
        let document = try #require(await scenario.finalStatusDocument())
        #expect(document.status.code == "1")
        #expect(document.status.progress?.budget?.snapshotSeconds == 240)
        let log = try String(contentsOf: plugin.appendingPathComponent("log/extension.log"), encoding: .utf8)
        #expect(log.contains("enable: job for sequence number 1 started in process \(pid)"))
        #expect(log.contains("job finished: code 1"))
        #expect(!scenario.leaksSignature(log + enable.stdout + enable.stderr))
    }

    /// The agent SIGKILLs enable's whole process group at its timeout; the job is in another session.
    @Test func sigkillOfEnablesProcessGroupChangesNothing() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        // The snapshot is answered only after the group was killed.
        scenario.emulator.setFaults([FaultRule(operation: .snapshot, action: .hold)])
        let plugin = try scenario.pluginDirectory(sequenceNumber: 2)
        let output = plugin.appendingPathComponent("enable.out").path
        // As the agent runs it: a shell in a process group of its own; it lingers after enable so that the group
        // is alive when it is killed.
        let command =
            "cd '\(plugin.path)' && ConfigSequenceNumber=2 VMSNAP_IMDS_ADDRESS=off VMSNAP_METRICS_DIR=off "
            + "'\(BuiltBinary.vmsnap.path)' handler enable --freeze off"
            + " > '\(output)' 2>&1; sleep 60"
        let group = try ChildProcess.spawn(
            executable: "/bin/sh", arguments: ["-c", command], newProcessGroup: true)
        var stdout = ""
        for _ in 0..<600 where jobPID(stdout) == nil {
            try await Task.sleep(for: .milliseconds(50))
            stdout = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        }
        let pid = try #require(jobPID(stdout), "enable printed no job: \(stdout)")
        try #require(
            HandlerStatus.word(plugin: plugin, sequenceNumber: 2) == "transitioning",
            "the job ended before the group could be killed: the test proves nothing")
        #expect(kill(-group.pid, SIGKILL) == 0)
        group.waitForExit()
        #expect(ProcessState.isAlive(pid), "the job died with enable's process group")
        scenario.emulator.setFaults([])
        let terminal = try #require(await HandlerStatus.terminal(plugin: plugin, sequenceNumber: 2))
        #expect(terminal.contains(#""status":"success""#) && terminal.contains(#""code":1"#), "\(terminal)")
        #expect(snapshots(scenario) == 1)
        #expect(try await scenario.finalStatusDocument()?.status.code == "1")
    }

    @Test func aSecondEnableForTheSameSequenceStartsNoSecondJob() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        scenario.emulator.setFaults([FaultRule(operation: .snapshot, action: .hold)])
        let plugin = try scenario.pluginDirectory(sequenceNumber: 3)
        let arguments = ["handler", "enable", "--freeze", "off"]
        let environment = ["ConfigSequenceNumber": "3"]
        let first = try await BuiltBinary.run(arguments, environment: environment, currentDirectory: plugin)
        #expect(jobPID(first.stdout) != nil, "\(first.stdout)")
        // While the first job runs (its snapshot is held; whether it has recorded the sequence number yet or
        // only enable's claim stands) ...
        let running = try await BuiltBinary.run(arguments, environment: environment, currentDirectory: plugin)
        #expect(running.status == 0)
        #expect(running.stdout.contains("sequence number 3"), "\(running.stdout)")
        #expect(running.stdout.contains("no job started"), "\(running.stdout)")
        #expect(jobPID(running.stdout) == nil)
        #expect(HandlerStatus.word(plugin: plugin, sequenceNumber: 3) == "transitioning")
        scenario.emulator.setFaults([])
        let terminal = try #require(await HandlerStatus.terminal(plugin: plugin, sequenceNumber: 3))
        // ... and after it finished.
        let finished = try await BuiltBinary.run(arguments, environment: environment, currentDirectory: plugin)
        #expect(finished.stdout.contains("sequence number 3 was already handled: no job started"))
        #expect(try String(contentsOf: plugin.appendingPathComponent("status/3.status"), encoding: .utf8) == terminal)
        #expect(snapshots(scenario) == 1)
    }

    /// The documented rule for a newer sequence number: its job waits until the running one has ended.
    @Test func aNewerSequenceWaitsForTheRunningJob() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        scenario.emulator.setFaults([FaultRule(operation: .snapshot, action: .hold)])
        let plugin = try scenario.pluginDirectory(sequenceNumber: 5)
        try scenario.writeSettingsFile(to: plugin.appendingPathComponent("config/6.settings"))
        let arguments = ["handler", "enable", "--freeze", "off"]
        _ = try await BuiltBinary.run(arguments, environment: ["ConfigSequenceNumber": "5"], currentDirectory: plugin)
        let newer = try await BuiltBinary.run(
            arguments, environment: ["ConfigSequenceNumber": "6"], currentDirectory: plugin)
        #expect(jobPID(newer.stdout) != nil, "\(newer.stdout)")
        #expect(HandlerStatus.word(plugin: plugin, sequenceNumber: 6) == "transitioning")
        scenario.emulator.setFaults([])
        let older = try #require(await HandlerStatus.terminal(plugin: plugin, sequenceNumber: 5))
        #expect(older.contains(#""code":1"#))
        // Same taskId in both settings: the newer job, run after the older one, finds it handled.
        let later = try #require(await HandlerStatus.terminal(plugin: plugin, sequenceNumber: 6))
        #expect(later.contains(#""code":3"#), "\(later)")
        #expect(snapshots(scenario) == 1, "the repeat ran again")
        let log = try String(contentsOf: plugin.appendingPathComponent("log/extension.log"), encoding: .utf8)
        let olderEnd = try #require(log.range(of: "job finished: code 1"))
        let newerCheck = try #require(log.range(of: "was already handled"))
        #expect(olderEnd.lowerBound < newerCheck.lowerBound, "the newer job did not wait for the running one")
    }

    /// The agent runs disable before uninstall and update: a running job ends with its terminal status first.
    @Test func disableStopsTheRunningJobWithATerminalStatus() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        scenario.emulator.setFaults([FaultRule(operation: .snapshot, action: .neverAnswer)])
        let plugin = try scenario.pluginDirectory(sequenceNumber: 7)
        let enable = try await BuiltBinary.run(
            ["handler", "enable", "--freeze", "off"], environment: ["ConfigSequenceNumber": "7"],
            currentDirectory: plugin)
        let pid = try #require(jobPID(enable.stdout), "\(enable.stdout)")
        for _ in 0..<600 where snapshots(scenario) == 0 { try await Task.sleep(for: .milliseconds(50)) }
        #expect(HandlerStatus.word(plugin: plugin, sequenceNumber: 7) == "transitioning")
        // A job for a newer sequence number waits for the running one: disable stops it too, before it starts.
        try scenario.writeSettingsFile(to: plugin.appendingPathComponent("config/8.settings"))
        let newer = try await BuiltBinary.run(
            ["handler", "enable", "--freeze", "off"], environment: ["ConfigSequenceNumber": "8"],
            currentDirectory: plugin)
        let waiting = try #require(jobPID(newer.stdout), "\(newer.stdout)")
        for _ in 0..<600 where JobLock.waiters(directory: plugin.path).isEmpty {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(JobLock.waiters(directory: plugin.path) == [waiting])
        let disable = try await BuiltBinary.run(["handler", "disable"], currentDirectory: plugin)
        #expect(disable.status == 0, "\(disable.stderr)")
        #expect(disable.stdout.contains("\(pid)") && disable.stdout.contains("stopped"), "\(disable.stdout)")
        // Disable returned after both jobs ended: their terminal statuses are there.
        let status = try String(contentsOf: plugin.appendingPathComponent("status/7.status"), encoding: .utf8)
        #expect(status.contains(#""code":2"#) && status.contains("SIGTERM"), "\(status)")
        let stopped = try String(contentsOf: plugin.appendingPathComponent("status/8.status"), encoding: .utf8)
        #expect(stopped.contains(#""code":2"#) && stopped.contains("while waiting: SIGTERM"), "\(stopped)")
        #expect(!ProcessState.isAlive(pid) && !ProcessState.isAlive(waiting))
        // The running job may have retried its unanswered snapshot (on a loaded machine); that the waiting job
        // took none is its status above: it ended while waiting.
        #expect(snapshots(scenario) >= 1)
        let idle = try await BuiltBinary.run(["handler", "disable"], currentDirectory: plugin)
        #expect(idle.stdout.contains("disable: no job running"))
    }

    /// Update runs in the new version's folder: the enable that follows must not repeat the old version's job.
    @Test func updateTakesOverTheOldVersionsLedger() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let agentFolder = scenario.directory.appendingPathComponent("waagent")
        let oldVersion = agentFolder.appendingPathComponent("\(ExtensionIdentity.name)-1.0.1")
        try JobLedger(directory: oldVersion.path).record(taskID: scenario.taskID, sequenceNumber: 8)
        let plugin = agentFolder.appendingPathComponent("\(ExtensionIdentity.name)-1.0.2")
        try SettingsFixtures.write(
            SettingsFixtures.handlerEnvironment(pluginDirectory: plugin),
            to: plugin.appendingPathComponent("HandlerEnvironment.json"))
        try scenario.writeSettingsFile(to: plugin.appendingPathComponent("config/8.settings"))
        let update = try await BuiltBinary.run(
            ["handler", "update"], environment: ["AZURE_GUEST_AGENT_UPDATING_FROM_VERSION": "1.0.1"],
            currentDirectory: plugin)
        #expect(update.status == 0, "\(update.stderr)")
        #expect(update.stdout.contains("taken over"), "\(update.stdout)")
        let enable = try await BuiltBinary.run(
            ["handler", "enable", "--freeze", "off"], environment: ["ConfigSequenceNumber": "8"],
            currentDirectory: plugin)
        #expect(enable.stdout.contains("sequence number 8 was already handled: no job started"), "\(enable.stdout)")
        #expect(snapshots(scenario) == 0)
    }
}
