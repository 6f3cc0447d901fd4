import Core
import Emulator
import Foundation
import TestSupport
import Testing

/// The guest agent's event files of a detached `handler enable` job: written during a long job, not only at its end,
/// at the level of `<extension dir>/main/LogSeverity.json`, each a JSON array of objects with exactly the eight keys
/// the agent parses (storage-details.md §3).
@Suite struct GuestAgentEventFilesTests {
    static let keys: Set = [
        "Version", "Timestamp", "TaskName", "EventLevel", "Message", "EventPid", "EventTid", "OperationId",
    ]

    func files(_ folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".json") }
            .sorted()
    }

    func events(_ folder: URL, _ name: String) throws -> [[String: String]] {
        let data = try Data(contentsOf: folder.appendingPathComponent(name))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [[String: String]], "\(name)")
    }

    @Test func eventFilesAreWrittenWhileALongJobRunsAndAtItsEnd() async throws {
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        // The snapshots are answered only when the test says so: the job runs until then.
        scenario.emulator.setFaults([FaultRule(operation: .snapshot, action: .hold)])
        let plugin = try scenario.pluginDirectory(sequenceNumber: 1)
        let severity = plugin.appendingPathComponent("main/LogSeverity.json")
        try FileManager.default.createDirectory(
            at: severity.deletingLastPathComponent(), withIntermediateDirectories: true)
        // Level 1: Info lines become events too, so the job's first stages give some before the snapshots.
        try Data(#"{"EventLogLevel": 1}"#.utf8).write(to: severity)
        let folder = plugin.appendingPathComponent("events")
        let enable = try await BuiltBinary.run(
            ["handler", "enable", "--freeze", "off"], environment: ["ConfigSequenceNumber": "1"],
            currentDirectory: plugin)
        #expect(enable.status == 0, "\(enable.stderr)")
        // The periodic flush (every 10 s of job time) writes a file while the snapshots are held.
        let deadline = ContinuousClock.now + .seconds(60)
        while files(folder).isEmpty && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
        let during = files(folder)
        try #require(!during.isEmpty, "no event file during the job")
        #expect(HandlerStatus.word(plugin: plugin, sequenceNumber: 1) == "transitioning", "the job still runs")
        let early = try events(folder, during[0])
        #expect(!early.isEmpty && early.allSatisfy { Set($0.keys) == Self.keys }, "\(early)")
        #expect(early.contains { $0["EventLevel"] == "Info" }, "LogSeverity.json level 1 lets Info lines through")
        #expect(early.allSatisfy { $0["OperationId"] == scenario.taskID })
        #expect(!early.compactMap { $0["Message"] }.joined().contains("job finished"))

        scenario.emulator.setFaults([])
        _ = try #require(await HandlerStatus.terminal(plugin: plugin, sequenceNumber: 1))
        var after = files(folder)
        for _ in 0..<100 where after.count == during.count {
            try await Task.sleep(for: .milliseconds(100))
            after = files(folder)
        }
        #expect(after.count > during.count, "the end of the job is flushed: \(after)")
        let all = try after.flatMap { try events(folder, $0) }
        #expect(all.allSatisfy { Set($0.keys) == Self.keys })
        let messages = all.compactMap { $0["Message"] }
        #expect(messages.joined().contains("job finished: code 1"))
        // Each line reaches the agent once: no file repeats another's lines.
        let lines = messages.flatMap { $0.split(separator: "\n") }
        #expect(Set(lines).count == lines.count)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("Temp").path))
        #expect(!scenario.leaksSignature(messages.joined()))
    }
}
