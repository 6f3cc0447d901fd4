import Basics
import Foundation
import Testing

@testable import Engine

/// The telemetry keys read from the machine: network filesystems, running databases, the guest agent's version,
/// and the upload failure, as Microsoft's extension reports them (storage-details.md §2).
@Suite struct TelemetryFactsTests {
    static let localMounts = """
        22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
        23 22 0:21 / /proc rw,nosuid shared:2 - proc proc rw
        """

    @Test(arguments: [
        ("41 22 0:50 / /mnt/share rw - nfs4 server:/export rw", true),
        ("42 22 0:51 / /mnt/smb rw - cifs //server/share rw", true),
        ("43 22 0:52 / /mnt/blob rw - fuse.blobfuse2 blobfuse2 rw", true),
        ("44 22 7:0 / /mnt/loop rw - ext4 /dev/loop0 rw", false),
    ])
    func aNetworkFilesystemIsNoticedInMountinfo(extra: String, present: Bool) {
        #expect(SystemFacts.networkFilesystemMounted(mountInfo: Self.localMounts) == false)
        #expect(SystemFacts.networkFilesystemMounted(mountInfo: Self.localMounts + "\n" + extra) == present)
    }

    @Test func runningDatabasesAreNamedAsThePeerNamesThem() {
        let lines = [
            "/usr/sbin/mariadbd\0--basedir=/usr", "postgres: checkpointer ", "/usr/lib/postgresql/15/bin/postgres\0-D",
            "ora_pmon_ORCL", "bash\0-c\0sleep 1",
        ]
        #expect(SystemFacts.workloads(commandLines: lines) == ["mysqld", "postgresql", "oracle"])
        #expect(
            SystemFacts.pythonList(SystemFacts.workloads(commandLines: lines)) == "['mysqld', 'postgresql', 'oracle']")
        #expect(SystemFacts.pythonList(SystemFacts.workloads(commandLines: ["sshd: root"])) == "[]")
    }

    @Test func theGuestAgentVersionIsTheNewestAgentInItsLibrary() {
        let names = [
            "WALinuxAgent-2.9.1.1", "WALinuxAgent-2.10.0.8", "WALinuxAgent-2.10.0.8.zip", "WALinuxAgent-x",
            "Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9184.0", "history",
        ]
        #expect(SystemFacts.guestAgentVersion(installed: names) == "2.10.0.8")
        #expect(SystemFacts.guestAgentVersion(installed: ["history"]) == "Unknown")
    }

    @Test func theStatusDocumentCarriesTheKeysAndTheUploadFailure() {
        var facts = SystemFacts.current
        facts.networkFilesystemMounted = true
        facts.workloads = ["postgresql"]
        facts.guestAgentVersion = "2.9.1.1"
        var report = JobReport(taskID: "t", commandStartTicks: nil, disks: [])
        var telemetry = Dictionary(
            uniqueKeysWithValues: report.blobDocument(facts: facts).status.telemetryData.map { ($0.key, $0.value) })
        #expect(telemetry["networkFSTypePresentInMount"] == "True")
        #expect(telemetry["workloads"] == "['postgresql']")
        #expect(telemetry["guestAgentVersion"] == "2.9.1.1")
        #expect(telemetry["statusBlobUploadError"] == nil)
        report.statusUploadFailure = "HTTP 403, AuthenticationFailed, 3 attempt(s)"
        facts.networkFilesystemMounted = false
        telemetry = Dictionary(
            uniqueKeysWithValues: report.blobDocument(facts: facts).status.telemetryData.map { ($0.key, $0.value) })
        #expect(telemetry["statusBlobUploadError"] == "true")
        #expect(telemetry["networkFSTypePresentInMount"] == nil)
    }

    @Test func theFinalReportCarriesBillingTypeAndTheDfFigures() {
        var facts = SystemFacts.current
        facts.storage = StorageSurvey(
            partitionCount: 2,
            filesystems: [
                SurveyedFilesystem(
                    mountPoint: "/", type: "ext4", kind: .local, blockDevice: true, measured: true, usedBytes: 8 << 20),
                SurveyedFilesystem(
                    mountPoint: "/run", type: "tmpfs", kind: .ram, blockDevice: false, measured: true,
                    usedBytes: 1 << 20),
                SurveyedFilesystem(mountPoint: "/mnt/nfs", type: "nfs4", kind: .networkOrUnion, blockDevice: false),
            ])
        var report = JobReport(taskID: "t", commandStartTicks: nil, disks: [])
        func telemetry() -> [String: String] {
            Dictionary(
                uniqueKeysWithValues: report.blobDocument(facts: facts).status.telemetryData.map { ($0.key, $0.value) })
        }
        #expect(telemetry()["billingType"] == nil && telemetry()["ramDisksSize"] == nil, "final keys only at the end")
        #expect(telemetry()["isPrePostEnabled"] == nil && telemetry()["appName"] == nil)
        report.finished = true
        #expect(telemetry()["billingType"] == "none")
        #expect(telemetry()["ramDisksSize"] == "1024")
        #expect(telemetry()["networkFSTypeInDf"] == "['nfs4']" && telemetry()["totalUsedNetworkShare"] == "0")
        #expect(telemetry()["loopDevicesSize"] == nil && telemetry()["tempDisksSize"] == nil)
        #expect(report.blobDocument(facts: facts).status.storageDetails.totalUsedSizeInBytes == 8 << 20)
        report.onlyOSDiskBackup = true
        report.scriptTelemetry = ScriptTelemetry(usable: true, appName: "erp")
        #expect(telemetry()["billingType"] == "os disk")
        #expect(telemetry()["isPrePostEnabled"] == "true" && telemetry()["appName"] == "erp")
    }

    @Test func customSettingsAndTheScriptConfigFeedTheirKeys() throws {
        #expect(CustomSettings(text: #"{"isOnlyOSDiskBackupEnabled": true}"#).onlyOSDiskBackup)
        #expect(CustomSettings(text: #"{"isOnlyOSDiskBackupEnabled": "True"}"#).onlyOSDiskBackup)
        #expect(!CustomSettings(text: #"{"takeSnapshotFrom": "onlyGuest"}"#).onlyOSDiskBackup)
        let named = try ScriptPluginConfig.parse(Data(#"{"appName": "erp", "timeoutInSeconds": 10}"#.utf8), path: "c")
        #expect(named.appName == "erp")
        #expect(try ScriptPluginConfig.parse(Data(#"{"appName": 3}"#.utf8), path: "c").appName == nil)
    }
}
