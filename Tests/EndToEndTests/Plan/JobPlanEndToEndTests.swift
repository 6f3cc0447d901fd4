import Core
import Emulator
import Foundation
import TestSupport
import Testing

/// The job plan as the built binary applies it: vmbackup.conf's keys in real jobs on loop filesystems, loop-backed
/// mounts left out of discovery, and `config show` naming each setting's source.
@Suite(.serialized)
struct JobPlanEndToEndTests {
    @Test func mountsToSkipLeavesTheNamedFilesystemWritableDuringTheFreeze() async throws {
        let filesystems = try LoopFilesystem.create(count: 2)
        defer { filesystems.forEach { $0.remove() } }
        let mounts = try LoopFilesystem.testOwnedMounts(filesystems)
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let conf = scenario.directory.appendingPathComponent("vmbackup.conf")
        try "[SnapshotThread]\nMountsToSkip = \(mounts[1])\n".write(to: conf, atomically: true, encoding: .utf8)
        let settings = try scenario.writeSettingsFile(to: scenario.directory.appendingPathComponent("job.settings"))
        scenario.emulator.setFaults([FaultRule(operation: .snapshot, action: .latency(ms: 3000))])
        let job = Process()
        job.executableURL = BuiltBinary.vmsnap
        job.arguments =
            [
                "snapshot", "--settings", settings.path, "--json", "--freeze", "auto", "--vmbackup-conf", conf.path,
                "--freeze-lock", scenario.directory.appendingPathComponent("SafeFreezeLockFile").path,
                "--status-dir", scenario.statusDirectory, "--log-dir", scenario.logDirectory,
            ] + mounts.flatMap { ["--mount", $0] }
        let events = Pipe()
        job.standardOutput = events
        try job.run()
        let lines = LineReader(events.fileHandleForReading)
        var frozen: String?
        while frozen == nil, let line = lines.next() {
            if line.contains("\"stage\":\"freeze\""), line.contains("\"state\":\"succeeded\"") { frozen = line }
        }
        #expect(frozen?.contains("froze \(mounts[0]) in") == true, "\(frozen ?? "no freeze event")")
        #expect(frozen?.contains(mounts[1]) == false, "the skipped mount is not frozen: \(frozen ?? "")")
        let skippedWriter = try filesystems[1].startWriter()
        let frozenWriter = try filesystems[0].startWriter()
        #expect(skippedWriter.completed(within: 1), "MountsToSkip's filesystem stays writable during the freeze")
        #expect(!frozenWriter.completed(within: 0.3), "the other filesystem is frozen")
        job.waitUntilExit()
        #expect(job.terminationStatus == 0)
        #expect(frozenWriter.completed(within: 5))
        let log = try String(contentsOfFile: scenario.logDirectory + "/extension.log", encoding: .utf8)
        #expect(log.contains("job plan: freezes \(mounts[0]);"), "the plan is logged once per job:\n\(log)")
    }

    @Test func discoverySkipsLoopBackedMountsButANamedOneIsFrozen() async throws {
        let filesystems = try LoopFilesystem.create(count: 1)
        defer { filesystems.forEach { $0.remove() } }
        let mount = try #require(try LoopFilesystem.testOwnedMounts(filesystems).first)
        let discovered = try await BuiltBinary.run(["config", "show", "--json"])
        #expect(discovered.status == 0, "\(discovered.stderr)")
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(discovered.stdout.utf8)) as? [String: Any])
        #expect((plan["mountsToFreeze"] as? [String])?.contains(mount) == false)
        let entry = try #require((plan["mounts"] as? [[String: Any]])?.first { $0["mountPoint"] as? String == mount })
        let reasons = (entry["skipReasons"] as? [[String: Any]])?.compactMap { $0["reason"] as? String } ?? []
        #expect(reasons.contains { $0.hasPrefix("loop-backed (/dev/loop") }, "\(reasons)")
        let named = try await BuiltBinary.run(["config", "show", "--json", "--mount", mount])
        let namedPlan = try #require(try JSONSerialization.jsonObject(with: Data(named.stdout.utf8)) as? [String: Any])
        #expect(namedPlan["mountsToFreeze"] as? [String] == [mount])
        let notAMount = try await BuiltBinary.run(["config", "show", "--mount", mount + "/lost+found"])
        #expect(notAMount.status == 1 && notAMount.stderr.contains("not a mount point"), "\(notAMount.stderr)")
    }

    @Test func configShowNamesEverySource() async throws {
        let directory = try SettingsFixtures.temporaryDirectory("config-show")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try SettingsFixtures.write(
            ["freezeLockWaitSeconds": 7, "mountsToSkip": ["/nonexistent/*"]],
            to: directory.appendingPathComponent("c.json"))
        let conf = directory.appendingPathComponent("vmbackup.conf")
        try "[SnapshotThread]\n; operator fix\ntimeout = 90\nseqsnapshot = 2\nMountsToSkip = /nope # old\n".write(
            to: conf, atomically: true, encoding: .utf8)
        let arguments = [
            "config", "show", "--config", config.path, "--vmbackup-conf", conf.path, "--freeze-lock",
            directory.appendingPathComponent("lock").path,
        ]
        let text = try await BuiltBinary.run(arguments)
        #expect(text.status == 0, "\(text.stderr)")
        let out = text.stdout
        #expect(out.contains("freezeLock               \(directory.path)/lock  [command line --freeze-lock]"), "\(out)")
        #expect(out.contains("freezeLockWaitSeconds    7 s  [vmsnap config \(config.path) freezeLockWaitSeconds]"))
        #expect(out.contains("freezeTimeoutSeconds     90 s  [\(conf.path) line 3 timeout]"))
        #expect(out.contains("snapshotConcurrency      1 at a time  [\(conf.path) line 4 seqsnapshot]"))
        #expect(out.contains("writeLog                 on  [default]"))
        #expect(out.contains("\(conf.path) line 5: inline comment removed"))
        let json = try await BuiltBinary.run(arguments + ["--json"])
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let settings = try #require(plan["settings"] as? [[String: Any]])
        func source(_ name: String) -> [String: Any]? {
            settings.first { $0["name"] as? String == name }?["source"] as? [String: Any]
        }
        #expect(source("freezeLock")?["kind"] as? String == "commandLine")
        #expect(source("freezeLockWaitSeconds")?["kind"] as? String == "vmsnapConfig")
        #expect(source("freezeTimeoutSeconds")?["line"] as? Int == 3)
        #expect(source("writeLog")?["kind"] as? String == "default")
        let broken = try await BuiltBinary.run([
            "config", "show", "--vmbackup-conf", directory.appendingPathComponent("no").path,
        ])
        #expect(broken.status == 1 && broken.stderr.contains("no such file"), "\(broken.stderr)")
    }

    /// Runs `handler enable --freeze off` in the scenario's plugin directory with a vmbackup.conf of `conf`.
    /// Runs `handler enable` and waits for the detached job's terminal status.
    private func enable(_ scenario: SnapshotScenario, sequenceNumber: Int, conf: String) async throws -> URL {
        let plugin = try scenario.pluginDirectory(sequenceNumber: sequenceNumber)
        let file = scenario.directory.appendingPathComponent("vmbackup.conf")
        try conf.write(to: file, atomically: true, encoding: .utf8)
        let enable = try await BuiltBinary.run(
            ["handler", "enable", "--freeze", "off", "--vmbackup-conf", file.path],
            environment: ["ConfigSequenceNumber": String(sequenceNumber)], currentDirectory: plugin)
        #expect(enable.status == 0, "\(enable.stderr)")
        _ = try #require(await HandlerStatus.terminal(plugin: plugin, sequenceNumber: sequenceNumber))
        return plugin
    }

    @Test func uploadStatusAndLogFalseKeepsTheStatusFileOnly() async throws {
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        let plugin = try await enable(
            scenario, sequenceNumber: 2, conf: "[SnapshotThread]\nUploadStatusAndLog = False\nseqsnapshot = 1\n")
        let conf = scenario.directory.appendingPathComponent("vmbackup.conf")
        let status = try String(contentsOf: plugin.appendingPathComponent("status/2.status"), encoding: .utf8)
        #expect(status.contains(#""status":"success""#))
        #expect(scenario.blob(SnapshotScenario.statusBlob) == nil, "no status blob upload")
        #expect(scenario.blob(SnapshotScenario.logBlob) == nil, "no log blob upload")
        let log = try String(contentsOf: plugin.appendingPathComponent("log/extension.log"), encoding: .utf8)
        #expect(log.contains("uploadStatusAndLog off (status file only) [\(conf.path) line 2 UploadStatusAndLog]"))
        #expect(log.contains("snapshotConcurrency 1 at a time"))
    }

    @Test func aLockfHolderFailsTheJobWith121AfterTheWaitWithoutFreezing() async throws {
        let filesystems = try LoopFilesystem.create(count: 1)
        defer { filesystems.forEach { $0.remove() } }
        let mount = try #require(try LoopFilesystem.testOwnedMounts(filesystems).first)
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let lock = scenario.directory.appendingPathComponent("lock/SafeFreezeLockFile").path
        let holder = try LockfHolder.start(lock, seconds: 60)
        defer { holder.stop() }
        let settings = try scenario.writeSettingsFile(to: scenario.directory.appendingPathComponent("job.settings"))
        let job = try await BuiltBinary.run([
            "snapshot", "--settings", settings.path, "--freeze", "auto", "--mount", mount, "--freeze-lock", lock,
            "--freeze-lock-wait", "2", "--status-dir", scenario.statusDirectory, "--log-dir", scenario.logDirectory,
        ])
        #expect(job.status == 1)
        let status = try String(contentsOfFile: scenario.statusDirectory + "/0.status", encoding: .utf8)
        #expect(status.contains(#""code":121"#), "\(status)")
        let log = try String(contentsOfFile: scenario.logDirectory + "/extension.log", encoding: .utf8)
        #expect(log.contains("waiting for the freeze lock held by PID \(holder.processID)"), "\(log)")
        #expect(!log.contains("freeze: froze"))
        #expect(scenario.emulator.snapshots(container: scenario.fixture.container, blob: "disk0").isEmpty)
        #expect(try filesystems[0].startWriter().completed(within: 2))
    }

    @Test func handlerEnableWritesGuestAgentEventFilesUnlessDisableLogging() async throws {
        for disabled in [false, true] {
            let scenario = try await SnapshotScenario.start(disks: 2)
            defer { Task { try await scenario.stop() } }
            scenario.emulator.setFaults([
                FaultRule(blob: "disk1", operation: .snapshot, action: .failFirst(1, status: 503, code: "ServerBusy"))
            ])
            let plugin = try await enable(
                scenario, sequenceNumber: 1, conf: "[SnapshotThread]\ndisable_logging = \(disabled ? 1 : 0)\n")
            let folder = plugin.appendingPathComponent("events")
            // The detached job writes them right after its terminal status.
            var files: [String] = []
            for _ in 0..<50 {
                files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
                    .filter { $0.hasSuffix(".json") }
                if !files.isEmpty || disabled { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            if disabled {
                #expect(files.isEmpty, "disable_logging = 1: no event files, \(files)")
                continue
            }
            try #require(files.count == 1, "one event file: \(files)")
            #expect(files[0].hasSuffix(".json") && Int64(files[0].dropLast(5)) != nil, "\(files)")
            let data = try Data(contentsOf: folder.appendingPathComponent(files[0]))
            let events = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: String]])
            #expect(events.first?["OperationId"] == scenario.taskID)
            #expect(events.first?["Version"] == "Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.0")
            let messages = events.compactMap { $0["Message"] }.joined()
            #expect(messages.contains("[Warning]:\tdisk 1 ") && messages.contains("HTTP 503"), "\(messages)")
            #expect(!scenario.leaksSignature(messages))
        }
    }
}
