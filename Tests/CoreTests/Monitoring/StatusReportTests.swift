import Foundation
import TestSupport
import Testing

@testable import Core

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
        #expect(json["schema"] as? String == "vmsnap.status/2")
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
