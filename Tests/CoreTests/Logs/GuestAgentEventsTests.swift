import Core
import Foundation
import Synchronization
import TestSupport
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

/// Guest-agent event files as storage-details.md §3 describes them, parsed back as the agent reads them.
struct GuestAgentEventsTests {
    private let name = "[Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.0]"
    private func line(_ seconds: Int, _ text: String) -> String {
        "2026-12-01 14:01:\(String(format: "%02d", seconds)).683119 \(name)\(text)"
    }

    @Test func warningsAndErrorsBecomeEventsWithTheirRealLevel() throws {
        let folder = try SettingsFixtures.temporaryDirectory("events")
        defer { try? FileManager.default.removeItem(at: folder) }
        let events = GuestAgentEvents(
            folder: folder.path, version: "Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.0",
            operationID: "task-1")
        let before = Date().timeIntervalSince1970
        let path = try #require(
            try events.write(logLines: [
                line(30, "validate: 2 disk(s)"), line(31, "WARNING: pre-connect to https://a failed"),
                line(32, "WARNING: disk 1: attempt 1 answered HTTP 503"), line(33, "ERROR: job failed: code 76: x"),
            ]))
        let file = (path as NSString).lastPathComponent
        let nanoseconds = try #require(Int64(file.dropLast(5)))
        #expect(abs(Double(nanoseconds) / 1e9 - before) < 5, "the name is UTC nanoseconds since 1970")
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/Temp"), "Temp is removed")
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.last != UInt8(ascii: "\n"))
        let parsed = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: String]])
        #expect(parsed.count == 2)
        let keys: Set = [
            "Version", "Timestamp", "TaskName", "EventLevel", "Message", "EventPid", "EventTid", "OperationId",
        ]
        #expect(parsed.allSatisfy { Set($0.keys) == keys })
        #expect(parsed.map { $0["EventLevel"] } == ["Warning", "Error"])
        #expect(
            parsed[0]["Message"]
                == "2026-12-01T14:01:31.683119\t[Warning]:\tpre-connect to https://a failed \n"
                + "2026-12-01T14:01:32.683119\t[Warning]:\tdisk 1: attempt 1 answered HTTP 503 \n")
        #expect(parsed[1]["OperationId"] == "task-1" && parsed[1]["TaskName"] == "Enable")
        #expect(parsed[1]["EventPid"] == String(getpid()) && (parsed[1]["EventTid"]?.count ?? 0) >= 8)
        #expect(parsed[1]["Timestamp"]?.hasPrefix("20") == true && parsed[1]["Timestamp"]?.contains("Z") == false)
    }

    @Test func longLinesAreCutAndEventsStayWithin3000Characters() {
        let events = GuestAgentEvents(folder: "/nonexistent", version: "v", operationID: "")
        let long = String(repeating: "x", count: 6000)
        let made = events.events(
            from: [line(1, "ERROR: " + long)] + (0..<40).map { line(2, "ERROR: line \($0)") }, closedAt: Date())
        #expect(made.allSatisfy { ($0["Message"]?.count ?? 0) <= 3000 })
        #expect(made.first?["Message"]?.contains("Z [1/3] xxx") == true)
        #expect(made.allSatisfy { $0["OperationId"] == GuestAgentEvents.unknownOperation })
        let all = made.compactMap { $0["Message"] }.joined()
        #expect(all.contains("[3/3]") && all.contains("line 39 \n"))
    }

    @Test func onlyInfoLinesWriteNothingAndStaleFilesGo() throws {
        let folder = try SettingsFixtures.temporaryDirectory("events")
        defer { try? FileManager.default.removeItem(at: folder) }
        let events = GuestAgentEvents(folder: folder.path, version: "v", operationID: "t")
        #expect(try events.write(logLines: [line(1, "validate: ok")]) == nil)
        let old = folder.appendingPathComponent("1.json")
        try Data("[]".utf8).write(to: old)
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(-90_000)], ofItemAtPath: old.path)
        let fresh = folder.appendingPathComponent("2.json")
        try Data("[]".utf8).write(to: fresh)
        events.removeStale()
        #expect(!FileManager.default.fileExists(atPath: old.path) && FileManager.default.fileExists(atPath: fresh.path))
    }

    @Test func logSeverityJSONSetsTheLevelAndWarningIsTheDefault() throws {
        let directory = try SettingsFixtures.temporaryDirectory("severity")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(GuestAgentEvents.minimumLevel(extensionDirectory: directory.path) == (.warning, nil))
        let file = directory.appendingPathComponent(GuestAgentEvents.severityFile)
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        for (text, level) in [
            (#"{"EventLogLevel": 0}"#, GuestAgentEvents.Level.verbose), (#"{"EventLogLevel": 1}"#, .info),
            (#"{"EventLogLevel": 2}"#, .warning), (#"{"EventLogLevel": 3}"#, .error),
            (#"{"EventLogLevel": 9}"#, .error),
        ] {
            try Data(text.utf8).write(to: file)
            #expect(GuestAgentEvents.minimumLevel(extensionDirectory: directory.path) == (level, nil), "\(text)")
        }
        try Data(#"{"EventLogLevel": "loud"}"#.utf8).write(to: file)
        let broken = GuestAgentEvents.minimumLevel(extensionDirectory: directory.path)
        #expect(broken.level == .warning)
        #expect(broken.problem?.contains(file.path) == true && broken.problem?.contains("EventLogLevel") == true)
    }

    @Test func infoLinesBecomeEventsAtLevelOne() throws {
        var events = GuestAgentEvents(folder: "/nonexistent", version: "v", operationID: "t")
        events.minimumLevel = .info
        let made = events.events(from: [line(1, "validate: ok"), line(2, "WARNING: slow")], closedAt: Date())
        #expect(made.map { $0["EventLevel"] } == ["Info", "Warning"])
    }

    @Test func aFailedStepIsRetriedAfterThePause() throws {
        let folder = try SettingsFixtures.temporaryDirectory("events")
        defer { try? FileManager.default.removeItem(at: folder) }
        // A file where Temp should be: creating the staging folder fails until the pause removes it.
        let blocker = folder.appendingPathComponent("Temp")
        try Data("x".utf8).write(to: blocker)
        let pauses = Mutex(0)
        var events = GuestAgentEvents(folder: folder.path, version: "v", operationID: "t")
        events.pauseBetweenAttempts = {
            pauses.withLock { $0 += 1 }
            try? FileManager.default.removeItem(at: blocker)
        }
        let path = try #require(try events.write(logLines: [line(1, "ERROR: broken")]))
        #expect(pauses.withLock { $0 } == 1)
        #expect(FileManager.default.fileExists(atPath: path))
        // Blocked for good: three attempts, two pauses, then the error.
        try Data("x".utf8).write(to: blocker)
        pauses.withLock { $0 = 0 }
        events.pauseBetweenAttempts = { pauses.withLock { $0 += 1 } }
        #expect(throws: (any Error).self) { try events.write(logLines: [line(2, "ERROR: broken again")]) }
        #expect(pauses.withLock { $0 } == GuestAgentEvents.attempts - 1)
    }

    @Test func theFlusherWritesOnlyNewLinesAndNothingWhileTheLogIsHeld() async throws {
        let folder = try SettingsFixtures.temporaryDirectory("events")
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = ExtensionLog(directory: nil)
        let flusher = GuestAgentEventFlusher(
            events: GuestAgentEvents(folder: folder.path, version: "v", operationID: "t"), log: log)
        log.write("validate: ok")
        #expect(await flusher.flush() == nil, "no line reaches Warning")
        log.write("WARNING: first")
        let first = try #require(await flusher.flush())
        log.write("ERROR: second")
        let second = try #require(await flusher.flush())
        let messages = try [first, second].map { path in
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let events = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: String]])
            return events.compactMap { $0["Message"] }.joined()
        }
        #expect(messages[0].contains("first") && !messages[0].contains("second"))
        #expect(messages[1].contains("second") && !messages[1].contains("first"))
        // Periodic flushes skip their turn while the log is held (frozen), and write once it is not.
        log.hold()
        log.write("WARNING: while frozen")
        let periodic = Task { await flusher.run(every: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try jsonFiles(folder).count == 2, "nothing written while held")
        log.resume()
        for _ in 0..<100 where try jsonFiles(folder).count < 3 { try await Task.sleep(for: .milliseconds(50)) }
        periodic.cancel()
        await periodic.value
        #expect(try jsonFiles(folder).count == 3)
    }

    @Test func jobLinesFromACursorSkipWhatTheCapDropped() {
        let log = ExtensionLog(directory: nil, maximumJobBytes: 300)
        for index in 0..<10 { log.write("line \(index)") }
        let (lines, next) = log.jobLines(from: 0)
        #expect(next == 10)
        #expect(lines.last?.hasSuffix("line 9") == true && lines.count < 10)
        log.write("line 10")
        #expect(log.jobLines(from: next).lines.map { $0.hasSuffix("line 10") } == [true])
        #expect(log.jobLines(from: 11).lines.isEmpty)
    }

    private func jsonFiles(_ folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
    }
}
