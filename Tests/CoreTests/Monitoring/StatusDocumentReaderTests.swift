import Core
import Foundation
import TestSupport
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

@Suite struct StatusDocumentReaderTests {
    private func read(_ name: String, origin: JobSnapshot.Origin = .statusBlob) throws -> JobSnapshot {
        try StatusDocumentReader.read(StatusDocumentFixtures.data(name), origin: origin, source: name)
    }

    @Test func readsPeerStatusBlobWithStringCodesAndDateTimestamps() throws {
        let snapshot = try read(StatusDocumentFixtures.peerStatusBlob)
        #expect(snapshot.status == "success")
        #expect(snapshot.code == 1)
        #expect(snapshot.taskID == "9b0f7887-a12b-41ff-8290-cdd01b9656bb")
        #expect(snapshot.timestamp == Date(timeIntervalSince1970: 1_795_576_026.799))
        #expect(snapshot.extensionVersion == "1.0.9184.0")
        #expect(snapshot.healthState == 0)
        #expect(snapshot.healthStatusCode == 1)
        #expect(snapshot.message == "snapshotCreator=guestExtension, hostStatusCodePreSnapshot=500")
        #expect(snapshot.disks.map(\.progress.blob) == ["disk0.vhd", "disk1.vhd", "disk2.vhd"])
        #expect(snapshot.disks.allSatisfy { $0.progress.state == .succeeded && $0.progress.account == "acct" })
        #expect(snapshot.disks[0].progress.snapshotTime == "2026-11-25T03:07:04.5315790Z")
        #expect(snapshot.judge(now: Date()).verdict == .succeeded)
        let snapshotPhase = snapshot.phases.first { $0.stage == .snapshot }
        #expect(abs((snapshotPhase?.elapsedSeconds ?? 0) - 1.135092) < 0.000_001)
        #expect(snapshot.freezeWindowSeconds == nil, "the peer's negative FreezeTime is not a window")
        #expect(snapshot.phases.first { $0.stage == .preScript }?.state == .skipped)
    }

    @Test func readsTheBudgetsDeadlineFromAJobsProgress() throws {
        let fixture =
            try JSONSerialization.jsonObject(
                with: StatusDocumentFixtures.data(StatusDocumentFixtures.stuckAtCode4)) as? [[String: Any]]
        var document = try #require(fixture?.first)
        var status = try #require(document["status"] as? [String: Any])
        var progress = status["progress"] as? [String: Any] ?? [:]
        progress["budget"] = ["deadlineUTC": "2026-11-25T04:00:00Z", "workDeadlineUTC": "2026-11-25T03:59:30Z"]
        status["progress"] = progress
        document["status"] = status
        let data = try JSONSerialization.data(withJSONObject: [document])
        let snapshot = try StatusDocumentReader.read(data, origin: .statusBlob, source: "budget")
        let deadline = try #require(snapshot.deadline)
        #expect(deadline == ISO8601DateFormatter().date(from: "2026-11-25T04:00:00Z"))
        let lastUpdate = try #require(snapshot.timestamp)
        #expect(deadline.timeIntervalSince(lastUpdate) > Verdict.defaultStuckAfter)
        #expect(
            snapshot.judge(now: deadline.addingTimeInterval(-1)).verdict == .running,
            "long after its last update, but within its budget")
        #expect(snapshot.judge(now: deadline.addingTimeInterval(Verdict.reportingGrace + 1)).verdict == .stuck)
    }

    @Test func unwrapsPeerStatusFileToTheBlobDocument() throws {
        let file = try read(StatusDocumentFixtures.peerStatusFile, origin: .statusFile)
        let blob = try read(StatusDocumentFixtures.peerStatusBlob)
        #expect(file.origin == .statusFile)
        #expect(file.disks == blob.disks)
        #expect(file.code == 1)
        #expect(file.notes.first?.contains("wrapped status blob") == true)
    }

    @Test func readsOurDocuments() throws {
        let success = try read(StatusDocumentFixtures.success)
        #expect(success.disks[2].progress.requestID == "a1b2c3d4-0003-0000-0000-000000000003")
        #expect(success.code == 1 && success.timestamp == Date(timeIntervalSince1970: 1_795_576_026))
        #expect(success.disks[1].progress.attempts == 2)
        #expect(success.freezeWindowSeconds == 0.412)

        let partial = try read(StatusDocumentFixtures.partialFailure)
        #expect(partial.code == 76)
        #expect(partial.healthStatusCode == 761)
        #expect(partial.disks.map(\.progress.state) == [.succeeded, .succeeded, .failed])
        #expect(partial.disks[2].progress.errorCode == "SnapshotCountExceeded")
        #expect(partial.judge(now: Date()).verdict == .failed)

        let freeze = try read(StatusDocumentFixtures.freezeFailure)
        #expect(freeze.phases.first { $0.stage == .freeze }?.state == .failed)
        #expect(freeze.phases.first { $0.stage == .snapshot }?.state == .skipped)
        #expect(freeze.disks.allSatisfy { $0.progress.state == .pending })
        #expect(freeze.message.hasPrefix("freezing /data failed"))
    }

    @Test func phaseTimelineComesFromTheStageRecords() throws {
        let skipped = try read(StatusDocumentFixtures.skippedFreeze)
        let freeze = try #require(skipped.phases.first { $0.stage == .freeze })
        #expect(freeze.state == .skipped && freeze.detail == "freezing is off" && freeze.elapsedSeconds == nil)
        #expect(skipped.phases.first { $0.stage == .thaw }?.state == .skipped)
        let snapshot = try #require(skipped.phases.first { $0.stage == .snapshot })
        #expect(snapshot.state == .succeeded && abs((snapshot.elapsedSeconds ?? 0) - 0.398) < 0.000_1)
        #expect(snapshot.startedAt == StatusTimestamp.parse("2026-11-25T03:07:01.020Z"))

        let froze = try read(StatusDocumentFixtures.success)
        #expect(froze.phases.first { $0.stage == .freeze }?.state == .succeeded)
        #expect(froze.phases.first { $0.stage == .freeze }?.detail == "froze /, /data in 10 ms")

        let failed = try read(StatusDocumentFixtures.freezeFailure)
        #expect(failed.phases.first { $0.stage == .snapshot }?.detail == "not reached")
        #expect(failed.phases.first { $0.stage == .thaw }?.state == .succeeded, "the thaw after a failed freeze ran")
    }

    @Test func documentsWithoutStageRecordsClaimOnlyWhatTheySay() throws {
        let older = try read(StatusDocumentFixtures.partialFailure)
        let states = Dictionary(uniqueKeysWithValues: older.phases.map { ($0.stage, $0.state) })
        #expect(
            states == [
                .preScript: .skipped, .database: .unknown, .freeze: .unknown, .snapshot: .unknown, .thaw: .unknown,
                .postScript: .skipped, .report: .unknown,
            ])
        let peer = try read(StatusDocumentFixtures.peerStatusBlob)
        #expect(peer.phases.first { $0.stage == .freeze }?.state == .unknown, "a negative FreezeTime proves nothing")
        #expect(peer.phases.first { $0.stage == .snapshot }?.state == .succeeded)
        let telemetryOnly = try StatusDocumentReader.read(
            Data(
                #"""
                [{"status": {"status": "success", "code": 1, "telemetryData": [
                  {"Key": "FreezeTime", "Value": "0:00:00.300000"}, {"Key": "ThawTime", "Value": "0:00:00.002000"}]}}]
                """#.utf8), origin: .statusBlob, source: "x")
        #expect(telemetryOnly.phases.first { $0.stage == .freeze }?.state == .succeeded)
        #expect(telemetryOnly.phases.first { $0.stage == .thaw }?.elapsedSeconds == 0.002)
        #expect(telemetryOnly.phases.first { $0.stage == .preScript }?.state == .unknown)
    }

    @Test func callsAJobLeftAtCode4Stuck() throws {
        let stuck = try read(StatusDocumentFixtures.stuckAtCode4)
        #expect(stuck.code == 4)
        #expect(stuck.message == "snapshot started")
        let written = try #require(stuck.timestamp)
        #expect(stuck.judge(now: written.addingTimeInterval(30)).verdict == .running)
        #expect(stuck.judge(now: written.addingTimeInterval(301)).verdict == .stuck)
    }

    @Test func errorsNameThePathAndWhatWasExpected() {
        #expect(throws: StatusDocumentError(source: "x", path: "$[0].status", expected: "an object")) {
            try StatusDocumentReader.read(Data(#"[{"status": 3}]"#.utf8), origin: .statusBlob, source: "x")
        }
        #expect(throws: StatusDocumentError.self) {
            try StatusDocumentReader.read(Data("not json".utf8), origin: .statusBlob, source: "x")
        }
        #expect(
            throws: StatusDocumentError(
                source: "x", path: "$[0].status.status", expected: "a string: transitioning, success, error or warning")
        ) {
            try StatusDocumentReader.read(Data(#"[{"status": {"code": 1}}]"#.utf8), origin: .statusBlob, source: "x")
        }
    }

    @Test func redactsSignaturesInMessagesAndURIs() throws {
        let document = #"""
            [{"timestampUTC": "2026-11-25T03:07:06Z", "status": {"status": "error", "code": 15,
              "formattedMessage": {"lang": "en-US", "message": "PUT https://a.blob.core.windows.net/c/b?sv=1&sig=SECRET failed"},
              "substatus": {"name": "upload", "status": "error", "formattedMessage": {"message": "?sig=SECRET"}},
              "snapshotInfo": [{"isSuccessful": false, "errorMessage": "403 on https://a.blob.core.windows.net/c/b?sig=SECRET",
                                "blobUri": "https://a.blob.core.windows.net/c/b?sv=1&sig=SECRET", "lun": 3}]}}]
            """#
        let snapshot = try StatusDocumentReader.read(Data(document.utf8), origin: .statusBlob, source: "x")
        #expect(!"\(snapshot)".contains("SECRET"))
        #expect(snapshot.disks[0].progress.blobURI == "https://a.blob.core.windows.net/c/b")
        #expect(snapshot.disks[0].lun == 3)
        #expect(snapshot.notes == ["upload: ?sig=REDACTED"], "a substatus object (not array) is read too")
    }

    @Test func parsesTimestampsAndPythonDurations() {
        #expect(StatusTimestamp.parse("\\/Date(1000)\\/") == Date(timeIntervalSince1970: 1))
        #expect(StatusTimestamp.parse("/Date(1000)/") == Date(timeIntervalSince1970: 1))
        #expect(StatusTimestamp.parse("1970-01-01T00:00:02Z") == Date(timeIntervalSince1970: 2))
        #expect(StatusTimestamp.parse("1970-01-01T00:00:02.500Z") == Date(timeIntervalSince1970: 2.5))
        #expect(StatusTimestamp.parse("1970-01-01T01:00:02+01:00") == Date(timeIntervalSince1970: 2))
        #expect(StatusTimestamp.parse("2026-11-25T03:07:06Z") == Date(timeIntervalSince1970: 1_795_576_026))
        #expect(StatusTimestamp.parse("2026-11-25") != nil, "date only still accepted")
        #expect(StatusTimestamp.parse("soon") == nil)
        #expect(PythonDuration.seconds("0:00:01.5") == 1.5)
        #expect(abs(PythonDuration.seconds("-1 day, 23:59:59.008896")! + 0.991104) < 1e-6)
        #expect(PythonDuration.seconds("2 days, 1:00:00") == 176_400)
        #expect(PythonDuration.seconds("soon") == nil)
    }
}
