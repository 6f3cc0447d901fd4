import Core
import Emulator
import Foundation
import TestSupport
import Testing

@testable import Engine

/// The local job history journal: append, bound, a torn last line, and what real jobs record.
@Suite struct JobHistoryTests {
    private let root = TemporaryRoot()

    private func history(limit: Int = JobHistory.defaultLimit) -> JobHistory {
        JobHistory(directory: root.url.appendingPathComponent("state-\(UUID().uuidString)").path, limit: limit)
    }

    private static func record(_ task: String, code: ResultCode = .success, ended: Date = Date()) -> JobHistoryRecord {
        var disk = DiskProgress(
            index: 0, blobURI: "https://a.blob.core.windows.net/c/d0", account: "a", container: "c", blob: "d0")
        disk.state = code.isSuccess ? .succeeded : .failed
        disk.attempts = 2
        disk.latencyMilliseconds = 12.5
        let result = JobResult(
            code: code, healthStatusCode: code, status: code.statusWord, message: "m", disks: [disk],
            freezeWindowMilliseconds: 250, statusDelivery: .uploaded)
        return JobHistoryRecord(
            taskID: task, sequenceNumber: 3, startedAt: ended.addingTimeInterval(-4), endedAt: ended, result: result,
            consistency: .fileSystem, machine: MachineIdentity(hostname: "vm1"))
    }

    @Test func appendedRecordsReadBackOldestFirst() throws {
        let history = history()
        #expect(try history.read() == JobHistory.Contents(records: [], unreadableLines: 0), "no file: empty")
        try history.append(Self.record("t1"))
        try history.append(Self.record("t2", code: .snapshotFailed))
        let contents = try history.read()
        #expect(contents.records.map(\.taskID) == ["t1", "t2"])
        #expect(contents.unreadableLines == 0)
        let first = contents.records[0]
        #expect(first.verdict == .succeeded && first.code == .success && first.freezeWindowSeconds == 0.25)
        #expect(first.disks.first?.attempts == 2 && first.durationSeconds == 4)
        #expect(first.machine?.hostname == "vm1" && first.consistency == .fileSystem)
        #expect(contents.records[1].verdict == .failed && !contents.records[1].isGoodSnapshot)
        let text = try String(contentsOfFile: history.path, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 2 && text.hasSuffix("\n"), "one JSON record a line")
    }

    @Test func theJournalKeepsOnlyTheNewestRecords() throws {
        let history = history(limit: 3)
        for number in 1...5 { try history.append(Self.record("t\(number)")) }
        #expect(try history.read().records.map(\.taskID) == ["t3", "t4", "t5"])
    }

    @Test func aTornLastLineIsSkippedAndDroppedByTheNextAppend() throws {
        let history = history()
        try history.append(Self.record("t1"))
        try history.append(Self.record("t2"))
        let handle = try #require(FileHandle(forWritingAtPath: history.path))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"taskID":"t3","sequen"#.utf8))
        try handle.close()
        let torn = try history.read()
        #expect(torn.records.map(\.taskID) == ["t1", "t2"] && torn.unreadableLines == 1)
        try history.append(Self.record("t4"))
        let repaired = try history.read()
        #expect(repaired.records.map(\.taskID) == ["t1", "t2", "t4"] && repaired.unreadableLines == 0)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: history.directory)
        #expect(leftovers == [JobHistory.fileName], "no temporary file left: \(leftovers)")
    }

    /// `handler update` takes the old version's history over with its ledger; a ledger forgotten (another VM's,
    /// uninstall) forgets the history too.
    @Test func theHistoryMovesAndGoesWithTheLedger() throws {
        let old = history()
        try old.append(Self.record("t1"))
        let new = history()
        try JobLedger(directory: new.directory).takeOver(from: JobLedger(directory: old.directory))
        #expect(try new.read().records.map(\.taskID) == ["t1"])
        JobLedger(directory: new.directory).forget()
        #expect(try new.read().records.isEmpty)
    }

    @Test func theLastGoodSnapshotSkipsFailuresAndPartialJobs() throws {
        let history = history()
        #expect(history.lastSuccess() == nil)
        let good = Date(timeIntervalSince1970: 1_800_000_000)
        try history.append(Self.record("t1", ended: good))
        try history.append(Self.record("t2", code: .snapshotFailed, ended: good.addingTimeInterval(3600)))
        #expect(history.lastSuccess() == good)
    }

    /// Two real jobs against the emulator: each appends its record; the status blob carries lastSuccessUTC from
    /// the good one, also in the failing job's document.
    @Test func realJobsAppendTheirRecordAndCarryTheLastSuccess() async throws {
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        let good = await SnapshotJob(settings: try scenario.settings(), options: scenario.options()).run()
        #expect(good.code == .success)
        let history = JobHistory(directory: scenario.stateDirectory)
        let first = try #require(try history.read().records.last)
        #expect(first.taskID == scenario.taskID && first.verdict == .succeeded && first.disks.count == 2)
        #expect(first.machine?.hostname == ProcessInfo.processInfo.hostName)
        let lastSuccess = try #require(try scenario.statusDocument()?.status.lastSuccessUTC)
        #expect(ISO8601Timestamp.parse(lastSuccess) != nil)

        scenario.emulator.setFaults([
            FaultRule(
                blob: "disk1", operation: .snapshot, action: .failFirst(100, status: 403, code: "AuthenticationFailed"))
        ])
        var settings = try scenario.settings()
        settings.taskID = "second-task"
        settings.sequenceNumber = 1
        let failed = await SnapshotJob(settings: settings, options: scenario.options()).run()
        #expect(!failed.code.isSuccess)
        let records = try history.read().records
        #expect(records.map(\.verdict) == [.succeeded, .failed])
        #expect(records[1].disks.map(\.state) == [.succeeded, .failed])
        #expect(records[1].disks[1].errorCode == "AuthenticationFailed")
        // The good job's end stays (the journal's end and the document's stamp are taken within the same report).
        let carried = try #require(try scenario.statusDocument()?.status.lastSuccessUTC.flatMap(ISO8601Timestamp.parse))
        #expect(abs(carried.timeIntervalSince(try #require(ISO8601Timestamp.parse(lastSuccess)))) < 0.1)
        #expect(abs(carried.timeIntervalSince(try #require(first.endedAt))) < 0.002, "the journal's record")
    }
}
