import Core
import Emulator
import Foundation
import TestSupport
import Testing

/// The built binary's job history and metrics: a real job appends its record and writes vmsnap.prom, `history`
/// prints it, Prometheus's promtool accepts the file and a real node_exporter (textfile collector only, on
/// loopback) serves vmsnap's series; `status --once` names the machine, the last good snapshot and why there is
/// no job.
@Suite(.serialized) struct HistoryAndMetricsEndToEndTests {
    @Test func aJobIsRecordedAndScrapedByNodeExporter() async throws {
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        let metrics = scenario.directory.appendingPathComponent("textfile").path
        try FileManager.default.createDirectory(atPath: metrics, withIntermediateDirectories: true)
        let settings = try scenario.writeSettingsFile(to: scenario.directory.appendingPathComponent("job.settings"))
        let job = try await BuiltBinary.run([
            "snapshot", "--settings", settings.path, "--status-dir", scenario.statusDirectory, "--metrics-dir", metrics,
        ])
        #expect(job.status == 0, "\(job.stderr)")

        let history = try await BuiltBinary.run(["history", "--state-dir", scenario.statusDirectory, "--json"])
        #expect(history.status == 0, "\(history.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any])
        #expect(object["schema"] as? String == "vmsnap.history/1")
        let records = try #require(object["records"] as? [[String: Any]])
        #expect(records.count == 1)
        #expect(records.first?["taskID"] as? String == scenario.taskID)
        #expect(records.first?["verdict"] as? String == "succeeded")
        #expect((records.first?["disks"] as? [[String: Any]])?.count == 2)
        #expect((object["machine"] as? [String: Any])?["hostname"] as? String == ProcessInfo.processInfo.hostName)
        #expect(object["lastSuccessUTC"] is String)
        let table = try await BuiltBinary.run(["history", "--state-dir", scenario.statusDirectory, "-n", "1", "--utc"])
        #expect(table.stdout.contains("SUCCEEDED") && table.stdout.contains("2/2 ok"), "\(table.stdout)")
        #expect(table.stdout.contains("last good snapshot"), "\(table.stdout)")
        #expect(!scenario.leaksSignature(history.stdout + table.stdout))

        let prom = (metrics as NSString).appendingPathComponent("vmsnap.prom")
        let check = try await ProcessOutput.run(
            URL(fileURLWithPath: "/usr/bin/promtool"), ["check", "metrics"],
            stdin: try String(contentsOfFile: prom, encoding: .utf8))
        #expect(check.status == 0 && check.stdout.isEmpty && check.stderr.isEmpty, "\(check.stdout)\(check.stderr)")

        let scraped = try await NodeExporter.scrape(textfileDirectory: metrics)
        #expect(scraped.contains(#"vmsnap_last_job_verdict{verdict="succeeded"} 1"#), "\(scraped)")
        #expect(scraped.contains("vmsnap_last_success_timestamp_seconds "), "\(scraped)")
        #expect(scraped.contains(#"vmsnap_info{hostname=""#), "\(scraped)")
        #expect(scraped.contains("vmsnap_last_job_disk_snapshot_attempts{"), "\(scraped)")
        #expect(scraped.contains("vmsnap_settings_sas_expiry_timestamp_seconds "), "\(scraped)")
        #expect(
            scraped.contains(#"node_textfile_scrape_error 0"#), "node_exporter read the file without error: \(scraped)")

        let status = try await BuiltBinary.run(["status", "--once", "--plugin-dir", scenario.statusDirectory, "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect((report["machine"] as? [String: Any])?["hostname"] as? String == ProcessInfo.processInfo.hostName)
        #expect(report["lastSuccessUTC"] is String, "from the local history: \(status.stdout)")
        #expect(
            try JSONSchemaCheck.problems(in: Data(status.stdout.utf8), schema: "schemas/vmsnap.status.schema.json")
                == [])
    }

    @Test func theMetricsCommandWritesTheFileOrPrintsIt() async throws {
        let directory = try SettingsFixtures.temporaryDirectory("metrics-e2e")
        defer { try? FileManager.default.removeItem(at: directory) }
        let printed = try await BuiltBinary.run(["metrics", "--state-dir", directory.path, "--stdout"])
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(printed.stdout.contains("vmsnap_history_records 0"), "\(printed.stdout)")
        let written = try await BuiltBinary.run([
            "metrics", "--state-dir", directory.path, "--metrics-dir", directory.path,
        ])
        #expect(written.status == 0, "\(written.stderr)")
        let text = try String(contentsOfFile: directory.appendingPathComponent("vmsnap.prom").path, encoding: .utf8)
        #expect(text.contains("vmsnap_job_running 0"))
    }

    /// Exit status 5 is split: no job yet (5), not installed (6), a source that cannot be read (7).
    @Test func noJobHasAReasonAndAnExitStatusEach() async throws {
        let plugin = try SettingsFixtures.temporaryDirectory("nojob-e2e")
        defer { try? FileManager.default.removeItem(at: plugin) }
        try FileManager.default.createDirectory(
            at: plugin.appendingPathComponent("status"), withIntermediateDirectories: true)
        let empty = try await BuiltBinary.run(["status", "--once", "--plugin-dir", plugin.path, "--json"])
        #expect(empty.status == 5, "\(empty.stdout)")
        #expect(empty.stdout.contains(#""noJobReason" : "no job yet""#), "\(empty.stdout)")
        try Data(repeating: UInt8(ascii: "x"), count: 16).write(to: plugin.appendingPathComponent("status/1.status"))
        let unreadable = try await BuiltBinary.run(["status", "--once", "--plugin-dir", plugin.path])
        #expect(unreadable.status == 7, "\(unreadable.stdout)")
        #expect(unreadable.stdout.contains("a status source could not be read"), "\(unreadable.stdout)")
        let configuration = try SettingsFixtures.write(
            ["pluginDirectory": plugin.appendingPathComponent("absent-*").path],
            to: plugin.appendingPathComponent("vmsnap.json"))
        let nothing = try await BuiltBinary.run(["status", "--once", "--config", configuration.path])
        if PluginDirectory.discover() == nil {
            #expect(nothing.status == 6, "\(nothing.stdout)")
            #expect(nothing.stdout.contains("the extension is not installed"), "\(nothing.stdout)")
        }
    }
}

/// A real prometheus-node-exporter with only the textfile collector, on a loopback port, scraped once.
enum NodeExporter {
    static func scrape(textfileDirectory: String) async throws -> String {
        let port = try LoopbackPort.free()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus-node-exporter")
        process.arguments = [
            "--web.listen-address=127.0.0.1:\(port)", "--collector.disable-defaults", "--collector.textfile",
            "--collector.textfile.directory=\(textfileDirectory)",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let deadline = ContinuousClock.now + .seconds(20)
        var lastError = "no answer"
        while ContinuousClock.now < deadline {
            let answer = try await ProcessOutput.run(
                URL(fileURLWithPath: "/usr/bin/curl"), ["-sS", "--max-time", "5", "http://127.0.0.1:\(port)/metrics"])
            if answer.status == 0 { return answer.stdout }
            lastError = answer.stderr
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("node_exporter on 127.0.0.1:\(port) did not answer: \(lastError)")
        return ""
    }
}
