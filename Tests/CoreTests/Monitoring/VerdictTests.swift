import Core
import Foundation
import TestSupport
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

/// The verdict vocabulary judged from codes and age, never from the status word, on documents shaped like the
/// peer's and on vmsnap's own.
@Suite struct VerdictTests {
    /// The goldens' clock: 2026-11-25 03:07:09 UTC.
    private let now = Date(timeIntervalSince1970: 1_795_576_029)

    private func judge(_ fixture: String, at date: Date? = nil) throws -> JobJudgement {
        let job = try StatusDocumentReader.read(
            StatusDocumentFixtures.data(fixture), origin: .statusBlob, source: fixture)
        return job.judge(now: date ?? now)
    }

    @Test func aSuccessWordAtCode4WrittenDaysAgoIsStuck() throws {
        let judgement = try judge(StatusDocumentFixtures.peerSuccessWordAtCode4)
        #expect(judgement.verdict == .stuck)
        #expect(judgement.documentAge.map { $0 > 2 * 86_400 } == true, "the document's own age, not the poll's")
        #expect(judgement.reasons.contains { $0.contains("status says success but code 4") })
        #expect(judgement.reasons.contains { $0.contains("written 3 d ago") })
        let fresh = try judge(
            StatusDocumentFixtures.peerSuccessWordAtCode4, at: Date(timeIntervalSince1970: 1_795_309_200 + 60))
        #expect(fresh.verdict == .running, "a minute after it was written the job may still run")
    }

    @Test func aSuccessWordContradictedByItsCodeTakesTheCodesVerdict() throws {
        let partial = try judge(StatusDocumentFixtures.peerPartialWithUnnamedDisk)
        #expect(partial.verdict == .failed)
        #expect(partial.reasons == ["status says success but code 76 is a failure"])
        let freeze = try judge(StatusDocumentFixtures.peerFreezeFailure)
        #expect(freeze.verdict == .failed)
        var success = JobSnapshot(origin: .statusBlob, status: .success, code: .success)
        success.healthStatusCode = .someSnapshotsFailed
        #expect(success.judge(now: now).verdict == .failed, "health 761 beside code 1 is a partial failure")
        let tooLate = JobSnapshot(origin: .statusBlob, status: .success, code: .commandTooLate)
        #expect(tooLate.judge(now: now).verdict == .failed)
    }

    @Test func aDatabaseThatWasNotQuiescedBesideGoodSnapshotsIsAWarning() {
        var document = JobSnapshot(origin: .statusBlob, status: .success, code: .success)
        document.healthStatusCode = 509
        let judgement = document.judge(now: now)
        #expect(judgement.verdict == .warning)
        #expect(
            judgement.reasons == [
                "code 1 but the database was not quiesced: vmHealthStatusCode 509 FailedWorkloadQuiescingError"
            ])
        let result = JobResult(
            code: .success, healthStatusCode: 510, status: .success, message: "", disks: [], statusDelivery: .uploaded)
        #expect(result.verdict == .warning)
        let failed = JobResult(
            code: 76, healthStatusCode: 509, status: .error, message: "", disks: [], statusDelivery: .uploaded)
        #expect(failed.verdict == .failed, "failed snapshots stay a failure whatever the database did")
    }

    @Test func aCrashConsistentSnapshotAfterAFailedFreezeIsTheSameWarningInTheEngineAndInEveryReader() {
        // The fallback's document: code 1, the freeze's code kept as the health code.
        var document = JobSnapshot(origin: .statusBlob, status: .success, code: .success)
        document.healthStatusCode = 121
        let judgement = document.judge(now: now)
        #expect(judgement.verdict == .warning)
        #expect(judgement.reasons.count == 1)
        #expect(judgement.reasons.first?.contains("not frozen (crash-consistent): vmHealthStatusCode 121") == true)
        let result = JobResult(
            code: .success, healthStatusCode: 121, status: .success, message: "", disks: [], statusDelivery: .uploaded)
        #expect(result.verdict == judgement.verdict, "the job's own verdict and the readers' are one rule")
        let freezeFailed = JobResult(
            code: 121, healthStatusCode: 121, status: .error, message: "", disks: [], statusDelivery: .uploaded)
        #expect(freezeFailed.verdict == .failed)
    }

    @Test func everyVerdict() throws {
        #expect(try judge(StatusDocumentFixtures.peerStatusBlob).verdict == .succeeded)
        #expect(try judge(StatusDocumentFixtures.success).verdict == .succeeded)
        #expect(try judge(StatusDocumentFixtures.partialFailure).verdict == .failed)
        #expect(try judge(StatusDocumentFixtures.freezeFailure).verdict == .failed)
        #expect(try judge(StatusDocumentFixtures.stuckAtCode4).verdict == .stuck)
        #expect(try judge(StatusDocumentFixtures.skippedFreeze).verdict == .succeeded)
        let warning = JobSnapshot(origin: .statusBlob, status: .warning, code: .success)
        #expect(warning.judge(now: now).verdict == .warning)
        let errorWord = JobSnapshot(origin: .statusBlob, status: .error, code: .success)
        #expect(
            errorWord.judge(now: now)
                == JobJudgement(verdict: .warning, reasons: ["code 1 is a success but status says error"]))
        let unknownWord = JobSnapshot(origin: .statusBlob, status: StatusWord("done"), code: .success)
        #expect(unknownWord.judge(now: now).verdict == .failed, "the agent reads an unknown word as an error")
        var running = JobSnapshot(origin: .liveJob, status: .transitioning, code: .transitioning)
        running.timestamp = now.addingTimeInterval(-10)
        #expect(running.judge(now: now).verdict == .running)
        let all = Set([.succeeded, .failed, .warning, .running, .stuck, .noJob] as [Verdict])
        #expect(all == Set(Verdict.allCases))
        #expect(Verdict.allCases.map(\.exitStatus) == [0, 1, 2, 4, 3, 5])
    }

    @Test func aJobPastItsOwnDeadlineIsStuckAndOneWithinItIsNot() {
        var job = JobSnapshot(origin: .statusBlob, status: .transitioning, code: .transitioning)
        job.timestamp = now.addingTimeInterval(-1200)
        job.deadline = now.addingTimeInterval(600)
        #expect(job.judge(now: now).verdict == .running, "a long pre-script within the job's stated deadline")
        job.deadline = now.addingTimeInterval(-120)
        #expect(job.judge(now: now).verdict == .stuck)
    }

    @Test func aFailedDiskTheDocumentDoesNotNameIsShownAsNotNamed() throws {
        let job = try StatusDocumentReader.read(
            StatusDocumentFixtures.data(StatusDocumentFixtures.peerPartialWithUnnamedDisk), origin: .statusBlob,
            source: "x")
        #expect(job.disks[1].label == "disk 1 (not named)")
        let cause = try #require(job.cause)
        #expect(cause.subject == "disk 1 (not named)")
        #expect(cause.storageError == StorageErrorCode("AuthenticationFailed"))
        #expect(cause.failedDisks == 1 && cause.totalDisks == 3)
        #expect(cause.action?.contains("clock") == true)
        #expect(job.disks.allSatisfy { !$0.attemptsKnown }, "the peer's documents do not count attempts")
    }
}
