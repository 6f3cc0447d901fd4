import Core
import Emulator
import Foundation
import TestSupport
import Testing

@testable import Basics
@testable import Engine

/// The host path's pure parts: the method choice, the bodies, the answers; and where the WireServer comes from.
@Suite struct SnapshotMethodChoiceTests {
    func host(custom: String? = nil, _ change: (inout HostSnapshotSettings) -> Void = { _ in }) -> HostSnapshotSettings
    {
        var host = HostSnapshotSettings()
        host.custom = custom.map(CustomSettings.init(text:))
        change(&host)
        return host
    }

    @Test func theRulesInOrderLastWins() throws {
        let decide = SnapshotMethodChoice.decide
        #expect(try decide(host(), [0, -1], nil) == SnapshotMethodChoice(.firstHostThenGuest, .byDefault))
        #expect(try decide(host(), [0], "onlyGuest") == SnapshotMethodChoice(.onlyGuest, .vmbackupConf))
        // Exact, case-sensitive names: anything else runs the default.
        #expect(try decide(host(), [0], "onlyhost") == SnapshotMethodChoice(.firstHostThenGuest, .vmbackupConf))
        let custom = #"{"takeSnapshotFrom": "onlyGuest", "isManagedVm": true, "waDiskLunList": [3]}"#
        #expect(try decide(host(custom: custom), [0], nil) == SnapshotMethodChoice(.onlyGuest, .customSettings))
        #expect(try decide(host(custom: custom), [0], "onlyHost") == SnapshotMethodChoice(.onlyHost, .vmbackupConf))
        #expect(
            try decide(host(custom: custom), [3, -1], nil) == SnapshotMethodChoice(.onlyHost, .writeAcceleratedLUN(3)))
        // customSettings that is not an object, or lacks takeSnapshotFrom, leaves the default (vmbackup.conf too).
        #expect(try decide(host(custom: "not json"), [0], "onlyGuest").method == .firstHostThenGuest)
        #expect(try decide(host(custom: #"{"isManagedVm": true}"#), [0], "onlyGuest").method == .firstHostThenGuest)
        // Without isManagedVm, waDiskLunList is not read.
        let unmanaged = #"{"takeSnapshotFrom": "onlyGuest", "waDiskLunList": [0]}"#
        #expect(try decide(host(custom: unmanaged), [0], nil) == SnapshotMethodChoice(.onlyGuest, .customSettings))
        let forced = host(custom: custom) { $0.directDriveDisk = true }
        #expect(
            try decide(forced, [0], "onlyGuest")
                == SnapshotMethodChoice(.onlyHost, .forcedByDiskType("isAnyDirectDriveDiskIncluded")))
        let subset = host { $0.anyDiskExcluded = true }
        #expect(try decide(subset, [], nil) == SnapshotMethodChoice(.onlyGuest, .subsetWithoutLUNs))
        #expect(throws: JobFailure.self) {
            try decide(
                host {
                    $0.anyDiskExcluded = true; $0.vmgsBlob = true
                }, [], nil)
        }
    }
}

@Suite struct HostCallTests {
    func settings(_ change: (inout JobSettings) -> Void = { _ in }) -> JobSettings {
        var settings = JobSettings(
            taskID: "bt-1", command: "snapshot", disks: [],
            backupMetadata: [MetadataEntry(key: "backupJobId", value: "job-123")], snapshotTaskToken: "tok-abc",
            dataDiskLUNs: [0, 1], osDiskIncluded: true, source: "test")
        change(&settings)
        return settings
    }

    @Test func bodiesAreWrittenAsThePeerWritesThem() {
        let requests = HostRequests(settings: settings { $0.host.instantAccessDurationMinutes = 60 })
        #expect(requests.presnapshot(withSettings: false) == #"{"taskId": "bt-1", "snapshotTaskToken": "tok-abc"}"#)
        #expect(
            requests.presnapshot(withSettings: true)
                == #"{"taskId": "bt-1", "snapshotTaskToken": "tok-abc", "preSnapshotSettings": [{"Key": "isVMADEEnabled", "Value": false}]}"#
        )
        #expect(
            requests.dosnapshot(encryption: nil)
                == #"{"taskId": "bt-1", "diskIds": [0, 1, -1], "settings": [{"Key": "isSnapshotTtlEnabled", "Value": true}, {"Key": "useMccfToFetchDsasForAllDisks", "Value": false}, {"Key": "useMccfForLad", "Value": false}, {"Key": "EnableVMSnapshotExtensionPolling", "Value": false}, {"Key": "isVmmdBlobIncluded", "Value": false}], "snapshotTaskToken": "tok-abc", "snapshotMetadata": [{"Key": "backupJobId", "Value": "job-123"}], "instantAccessDurationMinutes": 60}"#
        )
    }

    @Test func adeAndDynamicConfigsChangeTheDosnapshotAndTheLoggedCopyHidesTheSecrets() {
        let requests = HostRequests(
            settings: settings {
                $0.host.dynamicConfigs = [HostSetting(key: "usemccfforlad", value: .string("True"))]
                $0.taskID = "t\u{e9}"
            })
        let encryption = HostEncryption(osDiskEncrypted: true, dataDisksEncrypted: false, settings: "{\"kek\": 1}")
        let body = requests.dosnapshot(encryption: encryption)
        #expect(body.contains(#""taskId": "t\u00e9""#))
        #expect(body.contains(#"{"Key": "useMccfForLad", "Value": "True"}"#))
        #expect(
            body.contains(
                #"{"Key": "isOsDiskADEEncrypted", "Value": true}, {"Key": "areDataDisksADEEncrypted", "Value": false}"#)
        )
        #expect(body.contains(#"{"Key": "DiskEncryptionSettings", "Value": "{\"kek\": 1}"}"#))
        let logged = requests.dosnapshot(encryption: encryption, redacting: true)
        #expect(!logged.contains("kek") && !logged.contains("tok-abc"))
        #expect(logged.contains(#"{"Key": "DiskEncryptionSettings", "Value": "REDACTED"}"#))
    }

    @Test func answersAreReadAsThePeerReadsThem() throws {
        let body = Data(
            #"""
            {"snapshotInfo": [
             {"isSuccessful": "true", "snapshotUri": "https://a.blob.core.windows.net/c/d?snapshot=x", "errorMessage": "", "statusCode": 201, "ddSnapshotIdentifier": null},
             {"isSuccessful": true, "snapshotUri": "https://md-dd-1.z48.disk.storage.azure.net/disks/e4/snapshots?snapshotId=C8", "errorMessage": "", "statusCode": 200,
              "ddSnapshotIdentifier": {"creationTime": "2026-11-25T03:07:04.1234567Z", "id": "C8", "token": "secret-token", "instantAccessDurationMinutes": 60}},
             {"isSuccessful": "false", "snapshotUri": null, "errorMessage": "boom", "statusCode": 500},
             {"isSuccessful": "true", "snapshotUri": "https://x", "errorMessage": ""},
             {"isSuccessful": "true", "snapshotUri": "https://y", "errorMessage": "", "statusCode": 201}]}
            """#.utf8)
        let entries = try #require(HostSnapshotEntry.entries(body))
        // An entry lacking statusCode ends the list (and every later one goes too).
        #expect(entries.map(\.succeeded) == [true, true, false])
        let directDrive = try #require(entries[1].directDrive)
        #expect(directDrive.token == "REDACTED" && entries[1].directDriveToken == "secret-token")
        #expect(directDrive.creationMilliseconds == 1_795_576_024_123)
        let disk = HostSnapshotter.progress(entries[1], index: 1)
        #expect(disk.blobURI == "https://md-dd-1.z48.disk.storage.azure.net/disks/e4")
        #expect(HostSnapshotter.progress(entries[0], index: 0).blobURI == "https://a.blob.core.windows.net/c/d")
        #expect(HostSnapshotEntry.entries(Data("not json".utf8)) == nil)
    }

    @Test(arguments: [
        ("2026-11-25T03:07:04Z", 1_795_576_024_000), ("2026-11-25T03:07:04.1Z", 1_795_576_024_100),
        ("2026-11-25T03:07:04.123456Z", 1_795_576_024_123), ("2026-11-25T03:07:04.9999999Z", 1_795_576_024_999),
    ])
    func creationTimesWithNoneToSevenFractionalDigits(text: String, milliseconds: Int64) {
        #expect(DirectDriveSnapshot.milliseconds(text) == milliseconds)
    }

    @Test func presnapshotGivesTheHostsClock() throws {
        let answer = try #require(
            PresnapshotAnswer(
                Data(
                    #"{"responseTime": {"year": 2026, "month": 11, "day": 25, "hour": 3, "minute": 7, "second": 4}, "result": "Success"}"#
                        .utf8)))
        #expect(answer.hostTime == Date(timeIntervalSince1970: 1_795_576_024))
        #expect(answer.encryption == nil)
    }

    @Test func outcomesFollowTheSpecWithoutThePeersDefects() {
        func disk(_ ok: Bool, _ message: String = "") -> DiskProgress {
            var disk = DiskProgress(
                index: 0, blobURI: "u", account: "a", container: "c", blob: "b", state: ok ? .succeeded : .failed)
            disk.errorMessage = ok ? nil : message
            return disk
        }
        let ok200 = HostStatusCode(rawValue: 200)
        #expect(HostOutcome.classify([disk(true)], thawProblem: false, preSnapshot: nil, doSnapshot: ok200) == nil)
        #expect(
            HostOutcome.classify([disk(true), disk(false)], thawProblem: false, preSnapshot: nil, doSnapshot: ok200)?
                .health == 761)
        #expect(
            HostOutcome.classify([], thawProblem: false, preSnapshot: ok200, doSnapshot: .remoteServerError)?.code
                == 556)
        #expect(
            HostOutcome.classify([], thawProblem: false, preSnapshot: nil, doSnapshot: .remoteServerError)?.code == 76)
        #expect(HostOutcome.classify([], thawProblem: false, preSnapshot: ok200, doSnapshot: .noResponse)?.code == 76)
        let limited = [disk(true), disk(false, "The snapshot count against this blob has been exceeded.")]
        #expect(HostOutcome.classify(limited, thawProblem: false, preSnapshot: nil, doSnapshot: ok200)?.code == 85)
        #expect(HostOutcome.classify([disk(true)], thawProblem: true, preSnapshot: nil, doSnapshot: ok200)?.code == 2)
    }
}

@Suite struct WireServerSourceTests {
    func plan(_ fixture: PlanFixture, wireServer: String? = nil, environment: [String: String] = [:]) throws -> JobPlan
    {
        var sources = fixture.sources
        sources.environment = environment
        return try JobPlan.resolve(
            sources: sources, overrides: JobPlanOverrides(freezesByDefault: false, wireServer: wireServer))
    }

    @Test func offAzureNoHostPathAndTheReasonSaysWhy() throws {
        let fixture = try PlanFixture()
        defer { fixture.remove() }
        let plan = try plan(fixture)
        #expect(plan.wireServer.value == nil)
        #expect(plan.wireServerReason.contains("off Azure: no Azure asset tag in DMI"))
        #expect(plan.options().hostPath.wireServer == nil)
        #expect(plan.text().contains("wireServer"))
        #expect(plan.text().contains("none: off Azure"))
        #expect(plan.text().contains("snapshotMethod"))
    }

    @Test func theAzureAssetTagOrTheAgentsEndpointFileMeanTheFixedAddress() throws {
        let fixture = try PlanFixture()
        defer { fixture.remove() }
        let dmi = fixture.url("sys/class/dmi/id")
        try FileManager.default.createDirectory(at: dmi, withIntermediateDirectories: true)
        try "\(AzurePlatform.assetTag)\n".write(
            to: dmi.appendingPathComponent("chassis_asset_tag"), atomically: true, encoding: .utf8)
        let onAzure = try plan(fixture)
        #expect(onAzure.wireServer.value == "http://168.63.129.16")
        #expect(onAzure.wireServerReason.contains("on Azure (the Azure asset tag"))
        // The command line, then VMSNAP_WIRESERVER, win over the detection; `off` switches the host path off.
        #expect(try plan(fixture, wireServer: "http://127.0.0.1:9").wireServer.value == "http://127.0.0.1:9")
        #expect(try plan(fixture, environment: ["VMSNAP_WIRESERVER": "off"]).wireServer.value == nil)
        try FileManager.default.removeItem(at: dmi.appendingPathComponent("chassis_asset_tag"))
        try "168.63.129.16".write(to: fixture.url("WireServerEndpoint"), atomically: true, encoding: .utf8)
        #expect(try plan(fixture).wireServerReason.contains("the guest agent's"))
    }

    @Test func theConfigurationsWireServerIsCheckedAndUsed() throws {
        let fixture = try PlanFixture()
        defer { fixture.remove() }
        let path = try fixture.writeConfiguration(["wireServer": "http://127.0.0.1:8080"])
        var sources = fixture.sources
        sources.configurationPath = path
        let plan = try JobPlan.resolve(sources: sources, overrides: JobPlanOverrides(freezesByDefault: false))
        #expect(plan.wireServer.value == "http://127.0.0.1:8080")
        try fixture.writeConfiguration(["wireServer": "http://127.0.0.1/metadata?x=1"])
        #expect {
            try JobPlan.resolve(sources: sources, overrides: JobPlanOverrides(freezesByDefault: false))
        } throws: { error in
            "\(error)".contains("wireServer") && "\(error)".contains("has a path or query")
        }
    }
}

@Suite struct HostFaultRuleTests {
    func decode(_ json: String) throws -> [FaultRule] {
        try JSONDecoder().decode([FaultRule].self, from: Data(json.utf8))
    }

    @Test func hostActionsAreValidated() throws {
        #expect(try decode(#"[{"operation": "presnapshot", "action": "emptyBody"}]"#).first?.action == .emptyBody)
        #expect(
            try decode(
                #"[{"operation": "dosnapshot", "blob": "disk1", "action": "error", "status": 500, "code": "X"}]"#
            )
            .first?.blob == "disk1")
        #expect(throws: DecodingError.self) { try decode(#"[{"operation": "snapshot", "action": "emptyBody"}]"#) }
        #expect(throws: DecodingError.self) { try decode(#"[{"action": "hostServiceDown"}]"#) }
        #expect(throws: DecodingError.self) {
            try decode(#"[{"operation": "presnapshot", "blob": "d", "action": "error", "status": 500, "code": "X"}]"#)
        }
    }
}

/// A job on the host path in process, where a deadline can be short.
@Suite struct HostJobTests {
    @Test func aDosnapshotThatNeverAnswersEndsAtTheDeadlineWith555And76() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        scenario.registerHostVM()
        scenario.emulator.setFaults([FaultRule(operation: .dosnapshot, action: .neverAnswer)])
        // Room for the stages before the snapshot on a loaded machine: the dosnapshot times out at the deadline.
        var options = scenario.options(deadline: .seconds(8))
        options.hostPath = HostPathOptions(
            wireServer: WireServerClient(address: scenario.emulator.wireServerURL), availability: "test")
        var settings = try scenario.settings()
        settings.host.vmgsBlob = true
        let started = ContinuousClock.now
        let result = await SnapshotJob(settings: settings, options: options).run()
        #expect(ContinuousClock.now - started < options.deadline + .seconds(1) + options.reportingTime)
        #expect(result.code == 76)
        #expect(result.status == .error)
        let document = try #require(try scenario.statusDocument())
        #expect(document.status.telemetryData.contains { $0.key == "hostStatusCodeDoSnapshot" && $0.value == "555" })
        #expect(document.status.progress?.finished == true)
    }
}

extension HostJobTests {
    @Test func withoutBlobSASUrisAFailedProbeLeavesNothingToSnapshot() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        scenario.registerHostVM()
        scenario.emulator.setFaults([FaultRule(operation: .presnapshot, action: .emptyBody)])
        var options = scenario.options()
        options.hostPath = HostPathOptions(
            wireServer: WireServerClient(address: scenario.emulator.wireServerURL), availability: "test")
        let result = await SnapshotJob(settings: try scenario.settings(disks: []), options: options).run()
        #expect(result.code == 76, "\(result.message)")
        #expect(result.message.contains("no blobSASUri"))
        #expect(scenario.emulator.hostSnapshots().isEmpty)
    }
}

/// The crash-consistent snapshot after a failed freeze (a real guard failing to open a mount that is not there).
@Suite struct CrashConsistentFallbackTests {
    func job(_ scenario: SnapshotScenario, custom: [String: Any], disks: Int) throws -> SnapshotJob {
        var options = scenario.options()
        options.freezer = GuardedFreezer(
            mounts: ["/nonexistent-vmsnap-mount-\(UUID().uuidString)"], guardExecutable: BuiltBinary.vmsnap.path,
            lockPath: scenario.directory.appendingPathComponent("SafeFreezeLockFile").path)
        var settings = try scenario.settings()
        let text = String(
            decoding: try JSONSerialization.data(withJSONObject: custom, options: [.sortedKeys]), as: UTF8.self)
        settings.host.custom = CustomSettings(text: text)
        settings.dataDiskLUNs = Array(0..<(disks - 1))
        settings.osDiskIncluded = true
        return SnapshotJob(settings: settings, options: options)
    }

    static var allowing: [String: Any] {
        [
            "takeSnapshotFrom": "onlyGuest", "isManagedVm": true, "canTakeCrashConsistentSnapshot": true,
            "backupRetryCount": 1,
        ]
    }

    @Test func aSingleDiskManagedVMOnARetryGetsACrashConsistentSnapshot() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let result = try await job(scenario, custom: Self.allowing, disks: 1).run()
        #expect(result.code == 1, "\(result.message)")
        #expect((121...124).contains(result.healthStatusCode.rawValue))
        #expect(result.status == .success)
        #expect(result.verdict == .warning)
        let document = try #require(try scenario.statusDocument())
        #expect(document.status.telemetryData.contains { $0.key == "consistencyType" && $0.value == "crashConsistent" })
        #expect(document.status.formattedMessage.message.contains(#""snapshotConsistency":3"#))
        #expect(document.status.vmHealthInfo.vmHealthStatusCode == result.healthStatusCode.rawValue)
        #expect(scenario.emulator.snapshots(container: "vhds", blob: "disk0").count == 1)
    }

    @Test(arguments: ["backupRetryCount", "canTakeCrashConsistentSnapshot", "isManagedVm", "two disks"])
    func otherwiseTheFreezeFailureStands(missing: String) async throws {
        let disks = missing == "two disks" ? 2 : 1
        let scenario = try await SnapshotScenario.start(disks: disks)
        defer { Task { try await scenario.stop() } }
        var custom = Self.allowing
        if missing != "two disks" { custom[missing] = missing == "backupRetryCount" ? 0 : false }
        let result = try await job(scenario, custom: custom, disks: disks).run()
        #expect((121...124).contains(result.code.rawValue), "\(result.message)")
        #expect(result.status == .error)
        #expect(scenario.emulator.snapshots(container: "vhds", blob: "disk0").isEmpty)
    }
}
