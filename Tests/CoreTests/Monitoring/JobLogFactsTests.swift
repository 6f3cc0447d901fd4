import Core
import Emulator
import Foundation
import TestSupport
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

/// Without the status blob, a real job's status file plus its extension.log give the facts; without the log they
/// are unknown, never defaults.
@Suite struct JobLogFactsTests {
    @Test func aStatusFileWithItsLogShowsAttemptsAndStagesAndWithoutItUnknown() async throws {
        let scenario = try await SnapshotScenario.start(disks: 2)
        scenario.emulator.setFaults([
            FaultRule(blob: "disk1", operation: .snapshot, action: .failFirst(1, status: 503, code: "ServerBusy"))
        ])
        let result = await SnapshotJob(settings: try scenario.settings(), options: scenario.options()).run()
        #expect(result.code == 1, "\(result.message)")
        let logFile = scenario.logDirectory + "/extension.log"
        let withLog = await StatusReport.collect(
            locations: MonitorSourceLocations(
                statusBlobURI: nil, pluginDirectory: scenario.directory.path, logFile: logFile, interval: 1),
            fetcher: nil)
        let job = try #require(withLog.job)
        #expect(job.origin == .statusFile)
        #expect(job.disks.map(\.attemptsKnown) == [true, true])
        #expect(job.disks.map(\.progress.attempts) == [1, 2])
        #expect(job.disks[1].progress.httpStatus == 201)
        #expect(job.disks[1].progress.requestID != nil)
        #expect(job.phases.first { $0.stage == .freeze }?.state == .skipped)
        #expect(job.phases.first { $0.stage == .freeze }?.detail == "freezing is off")
        #expect(withLog.text(zone: .utc).contains("attempts 2"))

        let withoutLog = await StatusReport.collect(
            locations: MonitorSourceLocations(
                statusBlobURI: nil, pluginDirectory: scenario.directory.path, logFile: nil, interval: 1),
            fetcher: nil)
        let bare = try #require(withoutLog.job)
        #expect(bare.disks.allSatisfy { !$0.attemptsKnown })
        #expect(withoutLog.text(zone: .utc).contains("attempts unknown"))
        #expect(bare.phases.first { $0.stage == .freeze }?.state == .unknown, "never a guessed freeze")
        try await scenario.stop()
    }

    @Test func diskLinesInVmsnapsWording() throws {
        let retry = try #require(
            JobLogFacts.DiskFact(
                "disk 1 https://a.blob.core.windows.net/c/d.vhd: attempt 2 answered HTTP 503 ServerBusy request id r-9 client request id c-1"
            ))
        #expect(retry.index == 1 && retry.attempts == 2 && retry.httpStatus == 503)
        #expect(retry.errorCode == "ServerBusy" && retry.requestID == "r-9")
        let done = try #require(
            JobLogFacts.DiskFact(
                "disk 0 https://a.blob.core.windows.net/c/d.vhd: snapshot 2026-11-25T03:07:04Z after 3 attempt(s), request id r-1, 1 new connection(s)"
            ))
        #expect(done.attempts == 3 && done.requestID == "r-1" && done.httpStatus == 201)
        #expect(JobLogFacts.DiskFact("disk usage is high") == nil)
    }
}
