import Core
import Foundation
import Testing

@Suite struct StatusBlobDocumentTests {
    @Test func documentHasThePeersShapeAndLiveProgress() throws {
        var disk = DiskProgress(
            index: 0, blobURI: "https://acct.blob.core.windows.net/vhds/disk0.vhd", account: "acct", container: "vhds",
            blob: "disk0.vhd", state: .succeeded, attempts: 2)
        disk.snapshotTime = "2026-11-25T03:07:04.5315790Z"
        var report = JobReport(taskID: "t", commandStartTicks: "639311728196948608", disks: [disk])
        report.code = 1
        report.healthStatusCode = 1
        report.status = "success"
        report.finished = true
        report.stage = .report
        report.freezeDuration = .milliseconds(1500)
        report.updated = Date(timeIntervalSince1970: 1_795_576_026.799)
        let document = report.blobDocument()
        let json = String(decoding: try JSONEncoder().encode([document]), as: UTF8.self)
        #expect(json.contains(#""timestampUTC":"\/Date(1795576026799)\/""#))
        #expect(json.contains(#""code":"1""#))
        let object =
            try #require(
                try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]]
            ).first?["status"] as? [String: Any]
        for field in [
            "taskId", "code", "status", "snapshotInfo", "telemetryData", "vmHealthInfo", "storageDetails",
            "commandStartTimeUTCTicks", "uniqueMachineId", "formattedMessage", "progress",
        ] {
            #expect(object?[field] != nil, "missing \(field)")
        }
        let info = try #require(document.status.snapshotInfo.first)
        #expect(
            info.snapshotUri
                == "https://acct.blob.core.windows.net/vhds/disk0.vhd?snapshot=2026-11-25T03:07:04.5315790Z")
        #expect(info.isSuccessful)
        let telemetry = Dictionary(uniqueKeysWithValues: document.status.telemetryData.map { ($0.key, $0.value) })
        #expect(telemetry["FreezeTime"] == "0:00:01.500000")
        #expect(telemetry["extensionVersion"] == ExtensionIdentity.version)
        #expect(telemetry["kernelVersion"]?.isEmpty == false)
        #expect(document.status.progress?.finished == true)
        #expect(document.status.progress?.disks.first?.attempts == 2)
        let message = try JSONSerialization.jsonObject(with: Data(document.status.formattedMessage.message.utf8))
        #expect((message as? [String: Any])?["snapshotConsistency"] != nil)
    }

    @Test func extErrorCodeIsTheNameTheServiceReadsOnTheFinalReportOnly() {
        func telemetry(_ report: JobReport) -> [String: String] {
            Dictionary(uniqueKeysWithValues: report.blobDocument().status.telemetryData.map { ($0.key, $0.value) })
        }
        var report = JobReport(taskID: "t", commandStartTicks: nil, disks: [])
        #expect(telemetry(report)["extErrorCode"] == nil, "a running job's report has none")
        report.finished = true
        for (code, health, name) in [
            (1, 1, "success"), (0, 0, "success_appconsistent"), (121, 121, "FailedRetryableFsFreezeFailed"),
            (76, 76, "FailedRetryableSnapshotFailedNoNetwork"),
            (76, 761, "FailedRetryableSnapshotFailedRestrictedNetwork"),
        ] {
            report.code = ResultCode(code)
            report.healthStatusCode = ResultCode(health)
            #expect(telemetry(report)["extErrorCode"] == name, "code \(code), health \(health)")
        }
    }

    @Test func storageDetailsCarryThisMachinesSurvey() {
        let details = JobReport(taskID: "t", commandStartTicks: nil, disks: []).blobDocument().status.storageDetails
        let survey = SystemFacts.current.storage
        #expect(
            details.partitionCount == survey.partitionCount
                && details.totalUsedSizeInBytes == survey.billing(onlyOSDisk: false).totalUsedBytes)
        #expect(details.partitionCount >= 1)
    }
}
