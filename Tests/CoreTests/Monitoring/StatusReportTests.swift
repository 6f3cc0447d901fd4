import Core
import Foundation
import TestSupport
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

@Suite struct StatusReportTests {
    /// A plugin directory under the test's own temporary root (removed when the suite instance goes away).
    private let root = TemporaryRoot()

    private func locations(statusFile fixture: String?) throws -> MonitorSourceLocations {
        let plugin = root.url.appendingPathComponent("report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: plugin.appendingPathComponent("status"), withIntermediateDirectories: true)
        if let fixture {
            try StatusDocumentFixtures.data(fixture).write(to: plugin.appendingPathComponent("status/7.status"))
        }
        return MonitorSourceLocations(statusBlobURI: nil, pluginDirectory: plugin.path, logFile: nil, interval: 1)
    }

    @Test func jsonHasAVersionedSchemaAndTheVerdictDrivesTheExitStatus() async throws {
        let report = await StatusReport.collect(
            locations: try locations(statusFile: StatusDocumentFixtures.partialFailure), fetcher: nil)
        #expect(report.judgement.verdict == .failed && report.judgement.verdict.exitStatus == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: report.json()) as? [String: Any])
        #expect(json["schema"] as? String == "vmsnap.status/3")
        #expect(json["verdict"] as? String == "failed")
        let job = try #require(json["job"] as? [String: Any])
        #expect(job["sequenceNumber"] as? Int == 7)
        #expect((job["disks"] as? [[String: Any]])?.last?["errorCode"] as? String == "SnapshotCountExceeded")
        let explained = (json["explanations"] as? [[String: Any]])?.compactMap { $0["code"] as? String }
        #expect(explained == ["SnapshotCountExceeded", "761"], "the storage error first; 761, not 76's 'every disk'")
        #expect(report.text(zone: .utc).contains("error HTTP 409 SnapshotCountExceeded"))
    }

    @Test func aJobWithFreezingOffDoesNotClaimAFreeze() async throws {
        let report = await StatusReport.collect(
            locations: try locations(statusFile: StatusDocumentFixtures.skippedFreeze), fetcher: nil)
        let text = report.text(zone: .utc)
        #expect(text.contains("freeze skipped (freezing is off)"))
        #expect(text.contains("thaw skipped (nothing was frozen)"))
        #expect(!text.contains("freeze succeeded") && !text.contains("thaw succeeded"))
        let json = try #require(try JSONSerialization.jsonObject(with: report.json()) as? [String: Any])
        let phases = try #require((json["job"] as? [String: Any])?["phases"] as? [[String: Any]])
        #expect(phases.first { $0["stage"] as? String == "freeze" }?["detail"] as? String == "freezing is off")
        let older = await StatusReport.collect(
            locations: try locations(statusFile: StatusDocumentFixtures.partialFailure), fetcher: nil)
        #expect(older.text(zone: .utc).contains("freeze unknown"))
    }

    @Test func noDocumentIsUnknownAndStuckIsCalledOut() async throws {
        let empty = await StatusReport.collect(locations: try locations(statusFile: nil), fetcher: nil)
        #expect(empty.judgement.verdict == .noJob && empty.judgement.verdict.exitStatus == 5)
        #expect(empty.text().contains("no status document found"))
        let stuck = await StatusReport.collect(
            locations: try locations(statusFile: StatusDocumentFixtures.stuckAtCode4), fetcher: nil)
        #expect(stuck.judgement.verdict == .stuck && stuck.judgement.verdict.exitStatus == 3)
        #expect(stuck.text().contains("STUCK"))
    }

    /// status --once on documents shaped like the peer's: text, JSON and exit status all carry the verdict, the
    /// document's age and the cause.
    @Test(arguments: [
        (StatusDocumentFixtures.peerSuccessWordAtCode4, Verdict.stuck, "why       no terminal status: written"),
        (
            StatusDocumentFixtures.peerPartialWithUnnamedDisk, Verdict.failed,
            "cause     disk 1 (not named): AuthenticationFailed (1 of 3 disks failed)"
        ),
        (StatusDocumentFixtures.peerFreezeFailure, Verdict.failed, "cause     code 121 FailedRetryableFsFreezeFailed"),
    ])
    func peerShapedDocuments(fixture: String, verdict: Verdict, line: String) async throws {
        let report = await StatusReport.collect(locations: try locations(statusFile: fixture), fetcher: nil)
        #expect(report.judgement.verdict == verdict)
        let text = report.text(zone: .utc)
        #expect(text.hasPrefix("vmsnap status at ") && text.contains(": \(verdict.label)\n"), "\(text)")
        #expect(text.contains(line), "\(text)")
        #expect(text.contains(" ago (status file)"), "the document's own age: \(text)")
        let json = try #require(try JSONSerialization.jsonObject(with: report.json()) as? [String: Any])
        #expect(json["verdict"] as? String == verdict.rawValue)
        #expect(json["exitStatus"] as? Int == Int(verdict.exitStatus))
        #expect((json["documentAgeSeconds"] as? Double ?? 0) > 0)
    }

    @Test func aDocumentOlderThanTheNewestSettingsIsLabelled() async throws {
        var locations = try locations(statusFile: StatusDocumentFixtures.success)
        let plugin = try #require(locations.pluginDirectory)
        try FileManager.default.createDirectory(atPath: plugin + "/config", withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: plugin + "/config/9.settings"))
        locations.interval = 1
        let report = await StatusReport.collect(locations: locations, fetcher: nil)
        #expect(report.job?.newerSequenceNumber == 9)
        #expect(report.text(zone: .utc).contains("sequence 7 (an older job: the newest settings are sequence 9)"))
    }

    @Test func storageCodesAreExplainedThroughTheResultCodeTheyBecome() {
        let entry = CodeExplanation.lookup("SnapshotCountExceeded")
        #expect(entry?.name.contains("85 FailedSnapshotLimitReached") == true)
        #expect(CodeExplanation.lookup("121")?.name == "FailedRetryableFsFreezeFailed")
        #expect(CodeExplanation.lookup("NoSuchCode") == nil)
    }

    @Test func aRejectedSASIsExplainedThoughItBecomesNoResultCode() throws {
        let entry = try #require(CodeExplanation.lookup("AuthenticationFailed"))
        #expect(entry.meaning.contains("SAS") && entry.action.contains("clock"))
        #expect(CodeExplanation.lookup("AuthorizationPermissionMismatch")?.action.contains("w in sp") == true)
    }
}

/// A temporary folder that deletes itself with its owner.
final class TemporaryRoot: Sendable {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("monitoring-tests-\(UUID().uuidString)")

    deinit { try? FileManager.default.removeItem(at: url) }
}
