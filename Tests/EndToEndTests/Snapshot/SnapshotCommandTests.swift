import Core
import Emulator
import Foundation
import TestSupport
import Testing

/// `vmsnap snapshot` and `vmsnap handler` as processes, against an emulator in the test process.
@Suite struct SnapshotCommandTests {
    /// JSON event lines decoded.
    func events(_ stdout: String) throws -> [[String: Any]] {
        try stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test func jsonEventsEndWithTheResultAndNoSignatureLeaks() async throws {
        let scenario = try await SnapshotScenario.start(disks: 3)
        defer { Task { try await scenario.stop() } }
        scenario.emulator.setFaults([
            FaultRule(blob: "disk1", operation: .snapshot, action: .failFirst(1, status: 500, code: "InternalError"))
        ])
        let settings = try scenario.writeSettingsFile(to: scenario.directory.appendingPathComponent("job.settings"))
        let output = try await BuiltBinary.run([
            "snapshot", "--settings", settings.path, "--json", "--status-dir", scenario.statusDirectory,
            "--log-dir", scenario.logDirectory,
        ])
        #expect(output.status == 0, "\(output.stderr)")
        let lines = try events(output.stdout)
        #expect(lines.first?["event"] as? String == "stage" && lines.first?["state"] as? String == "running")
        let last = try #require(lines.last)
        #expect(last["event"] as? String == "finished")
        let result = try #require(last["result"] as? [String: Any])
        #expect(result["code"] as? Int == 1)
        #expect(lines.contains { ($0["disk"] as? [String: Any])?["state"] as? String == "retrying" })
        let log = try String(contentsOfFile: scenario.logDirectory + "/extension.log", encoding: .utf8)
        #expect(log.contains("InternalError"))
        for (name, text) in [("stdout", output.stdout), ("stderr", output.stderr), ("extension.log", log)] {
            #expect(!scenario.leaksSignature(text), "\(name) leaks a signature")
        }
    }

    @Test func humanOutputAndFailureExitStatus() async throws {
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        scenario.emulator.setFaults([
            FaultRule(blob: "disk0", operation: .snapshot, action: .error(status: 403, code: "AuthenticationFailed"))
        ])
        let settings = try scenario.writeSettingsFile(to: scenario.directory.appendingPathComponent("job.settings"))
        let output = try await BuiltBinary.run(["snapshot", "--settings", settings.path])
        #expect(output.status == 1)
        #expect(output.stdout.contains("FAIL disk 0"))
        #expect(output.stdout.contains("AuthenticationFailed"))
        #expect(output.stdout.contains("FAILED code 76 FailedRetryableSnapshotFailedNoNetwork (health 761)"))
        #expect(output.stdout.contains("disk0: HTTP 403 AuthenticationFailed"))
        #expect(!scenario.leaksSignature(output.stdout + output.stderr))
    }

    @Test func jsonEventsArriveWhileTheJobRunsThroughAPipe() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        scenario.emulator.setFaults([FaultRule(operation: .snapshot, action: .latency(ms: 5000))])
        let settings = try scenario.writeSettingsFile(to: scenario.directory.appendingPathComponent("job.settings"))
        let process = Process()
        process.executableURL = BuiltBinary.vmsnap
        process.arguments = [
            "snapshot", "--settings", settings.path, "--json", "--status-dir", scenario.statusDirectory,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let lines = LineReader(output.fileHandleForReading)
        let first = try #require(lines.next(), "no event line before the job ended")
        #expect(process.isRunning, "the first event arrived only when the job ended")
        #expect(first.contains(#""event":"stage""#) && first.contains(#""state":"running""#))
        let finished = lines.next(containing: #""event":"finished""#)
        process.waitUntilExit()
        #expect(finished?.contains(#""code":1"#) == true)
        #expect(process.terminationStatus == 0)
    }

    @Test func brokenConfigurationIsNamedAndStopsTheSnapshot() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let settings = try scenario.writeSettingsFile(to: scenario.directory.appendingPathComponent("job.settings"))
        let config = try SettingsFixtures.write(
            ["freezeTimeoutSeconds": 900], to: scenario.directory.appendingPathComponent("vmsnap.json"))
        let output = try await BuiltBinary.run(["snapshot", "--settings", settings.path, "--config", config.path])
        #expect(output.status != 0)
        #expect(
            output.stderr.contains(config.path) && output.stderr.contains("freezeTimeoutSeconds"), "\(output.stderr)")
        #expect(!output.stderr.contains("Usage:"), "a broken file is not a misused command: \(output.stderr)")
        #expect(scenario.emulator.journal().filter { $0.operation == .snapshot }.isEmpty)
        let status = try await BuiltBinary.run(["status", "--once", "--config", config.path])
        #expect(status.status == 64 && status.stderr.contains("freezeTimeoutSeconds"), "\(status.stderr)")
        #expect(!status.stderr.contains("Usage:"), "\(status.stderr)")
    }

    @Test func brokenConfigurationFailsHandlerEnableWithATerminalStatus() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let plugin = try scenario.pluginDirectory(sequenceNumber: 2)
        let config = try SettingsFixtures.write(
            ["mountsToSkip": ["relative/path"]], to: scenario.directory.appendingPathComponent("vmsnap.json"))
        let enable = try await BuiltBinary.run(
            ["handler", "enable", "--config", config.path], environment: ["ConfigSequenceNumber": "2"],
            currentDirectory: plugin)
        #expect(enable.status == 1)
        #expect(enable.stderr.contains(config.path) && enable.stderr.contains("mountsToSkip"), "\(enable.stderr)")
        let status = try String(contentsOf: plugin.appendingPathComponent("status/2.status"), encoding: .utf8)
        #expect(status.contains(#""code":11"#))
        #expect(status.contains("mountsToSkip"))
        #expect(try scenario.statusDocument()?.status.code == "11")
        #expect(scenario.emulator.journal().filter { $0.operation == .snapshot }.isEmpty)
    }

    @Test func invalidSettingsStillEndWithATerminalStatus() async throws {
        let directory = try SettingsFixtures.temporaryDirectory("bad-settings")
        defer { try? FileManager.default.removeItem(at: directory) }
        let settings = try SettingsFixtures.write(
            SettingsFixtures.runtimeSettings(publicSettings: ["taskId": "t"], protectedSettings: nil),
            to: directory.appendingPathComponent("0.settings"))
        let status = directory.appendingPathComponent("status").path
        let output = try await BuiltBinary.run(["snapshot", "--settings", settings.path, "--status-dir", status])
        #expect(output.status == 1)
        let file = try String(contentsOfFile: status + "/0.status", encoding: .utf8)
        #expect(file.contains(#""status":"error""#))
        #expect(file.contains(#""code":11"#))
    }

    @Test func handlerLifecycleInAPluginDirectory() async throws {
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        let plugin = try scenario.pluginDirectory(sequenceNumber: 4)
        let environment = ["ConfigSequenceNumber": "4"]
        let install = try await BuiltBinary.run(["handler", "install"], currentDirectory: plugin)
        #expect(install.status == 0, "\(install.stderr)")
        let enable = try await BuiltBinary.run(
            ["handler", "enable", "--freeze", "off"], environment: environment, currentDirectory: plugin)
        #expect(enable.status == 0, "\(enable.stderr)")
        let status = try #require(await HandlerStatus.terminal(plugin: plugin, sequenceNumber: 4))
        #expect(status.contains(#""status":"success""#))
        #expect(try await scenario.finalStatusDocument()?.status.code == "1")
        let again = try await BuiltBinary.run(
            ["handler", "enable", "--freeze", "off"], environment: environment, currentDirectory: plugin)
        #expect(again.stdout.contains("sequence number 4 was already handled: no job started"), "\(again.stdout)")
        #expect(try String(contentsOf: plugin.appendingPathComponent("status/4.status"), encoding: .utf8) == status)
        for command in ["disable", "update", "uninstall"] {
            let output = try await BuiltBinary.run(["handler", command], currentDirectory: plugin)
            #expect(output.status == 0, "\(command): \(output.stderr)")
        }
        let log = try String(contentsOf: plugin.appendingPathComponent("log/extension.log"), encoding: .utf8)
        #expect(log.contains("]install: folders ready"))
        #expect(!scenario.leaksSignature(log + enable.stdout + enable.stderr))
    }

    @Test func shippedHandlerManifestIsReadByTheAgent() async throws {
        let manifest = BuiltBinary.packageRoot.appendingPathComponent("packaging/HandlerManifest.json")
        let script = """
            import json, sys
            from azurelinuxagent.ga.exthandlers import HandlerManifest
            data = json.load(open(sys.argv[1]))
            m = HandlerManifest(data[0])
            print(m.get_enable_command(), m.is_report_heartbeat(), m.is_update_with_install())
            """
        let packages = BuiltBinary.packageRoot.appendingPathComponent(".build/waagent/usr/lib/python3/dist-packages")
        let output = try await ProcessOutput.run(
            URL(fileURLWithPath: "/usr/bin/python3"), ["-c", script, manifest.path],
            environment: ["PYTHONPATH": packages.path])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "bin/vmsnap handler enable False True")
    }
}

/// Signals end a running `vmsnap snapshot` with a terminal status.
@Suite struct SnapshotSignalTests {
    @Test func sigtermEndsTheJobWithATerminalStatus() async throws {
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        scenario.emulator.setFaults([FaultRule(blob: "disk1", operation: .snapshot, action: .neverAnswer)])
        let settings = try scenario.writeSettingsFile(to: scenario.directory.appendingPathComponent("job.settings"))
        let process = Process()
        process.executableURL = BuiltBinary.vmsnap
        process.arguments = ["snapshot", "--settings", settings.path, "--status-dir", scenario.statusDirectory]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until the snapshot requests are on their way (however long a loaded machine takes to start the
        // process), then ask the job to stop.
        while process.isRunning && scenario.emulator.journal().filter({ $0.operation == .snapshot }).count < 2 {
            try await Task.sleep(for: .milliseconds(25))
        }
        process.terminate()
        let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 1)
        #expect(stdout.contains("FAILED code 2"))
        #expect(stdout.contains("SIGTERM"))
        let status = try String(contentsOfFile: scenario.statusDirectory + "/0.status", encoding: .utf8)
        #expect(status.contains(#""code":2"#))
        let document = try #require(try scenario.statusDocument())
        #expect(document.status.code == "2")
        #expect(document.status.progress?.finished == true)
    }
}
