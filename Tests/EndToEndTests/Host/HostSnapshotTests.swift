import Core
import Emulator
import Foundation
import TestSupport
import Testing

/// `vmsnap snapshot` on the host path against the emulator playing the WireServer's backup host service: every
/// method, the forced cases, the host's faults and DirectDrive disks, each status blob checked (by vmsnap's reader and
/// against the peer's field set).
@Suite struct HostSnapshotTests {
    /// Runs the job against the scenario's WireServer and returns its output, status blob and extension.log.
    func run(
        _ scenario: SnapshotScenario, settings: URL, extra: [String] = []
    ) async throws -> (output: ProcessOutput, document: StatusBlobDocument, log: String) {
        let output = try await BuiltBinary.run(
            [
                "snapshot", "--settings", settings.path, "--json", "--status-dir", scenario.statusDirectory,
                "--log-dir", scenario.logDirectory, "--wireserver", scenario.emulator.wireServerURL,
            ] + extra)
        let document = try #require(try scenario.statusDocument(), "no status blob: \(output.stderr)")
        #expect(try scenario.peerSchemaProblems() == [], "the peer's field set")
        let log = try String(contentsOfFile: scenario.logDirectory + "/extension.log", encoding: .utf8)
        return (output, document, log)
    }

    /// `status --once` (text, then JSON checked against its schema) on the scenario's status blob.
    func statusOnce(_ scenario: SnapshotScenario) async throws -> (text: String, json: String) {
        let poll = scenario.fixture.sasURI(blob: SnapshotScenario.statusBlob, permissions: "r")
        let arguments = [
            "status", "--once", "--status-blob", poll, "--plugin-dir", "/nonexistent", "--log-dir",
            scenario.logDirectory,
        ]
        let text = try await BuiltBinary.run(arguments).stdout
        let json = try await BuiltBinary.run(arguments + ["--json"]).stdout
        #expect(try JSONSchemaCheck.problems(in: Data(json.utf8), schema: "schemas/vmsnap.status.schema.json") == [])
        return (text, json)
    }

    func telemetry(_ document: StatusBlobDocument, _ key: String) -> String? {
        document.status.telemetryData.first { $0.key == key }?.value
    }

    /// No snapshotTaskToken, DirectDrive token or signature in stdout, stderr, the log or the journal.
    func expectNoSecrets(
        _ scenario: SnapshotScenario, _ output: ProcessOutput, _ log: String, tokens: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let journal = String(decoding: try JSONEncoder().encode(scenario.emulator.journal()), as: UTF8.self)
        for (name, text) in [("stdout", output.stdout), ("stderr", output.stderr), ("log", log), ("journal", journal)] {
            for secret in [SnapshotScenario.hostTaskToken] + tokens {
                #expect(!text.contains(secret), "\(name) shows a secret", sourceLocation: sourceLocation)
            }
            #expect(!scenario.leaksSignature(text), "\(name) leaks a signature", sourceLocation: sourceLocation)
        }
    }

    @Test func theDefaultMethodAsksTheHostFirstAndTheHostTakesEveryDisk() async throws {
        let scenario = try await SnapshotScenario.start(disks: 3)
        defer { Task { try await scenario.stop() } }
        scenario.registerHostVM()
        let (output, document, log) = try await run(scenario, settings: try scenario.writeHostSettingsFile())
        #expect(output.status == 0, "\(output.stdout)\n\(output.stderr)")
        #expect(document.status.code == "1")
        #expect(telemetry(document, "snapshotCreator") == "backupHostService")
        #expect(telemetry(document, "hostStatusCodePreSnapshot") == "200")
        #expect(telemetry(document, "hostStatusCodeDoSnapshot") == "200")
        #expect(document.status.formattedMessage.message.contains("snapshotCreator=backupHostService, "))
        #expect(document.status.progress?.method == SnapshotMethodChoice(.firstHostThenGuest, .byDefault))
        #expect(document.status.snapshotInfo.count == 3)
        let base = "\(scenario.emulator.wireServerURL)/\(scenario.fixture.account)/vhds/"
        // The host's order: data LUNs 0 and 1 (disk1, disk2), then the OS disk (disk0).
        #expect(document.status.snapshotInfo.map(\.blobUri) == ["disk1", "disk2", "disk0"].map { base + $0 })
        for info in document.status.snapshotInfo {
            #expect(info.isSuccessful && info.successWrittenAsText)
            #expect(info.snapshotUri?.hasPrefix((info.blobUri ?? "-") + "?snapshot=") == true)
            #expect(info.directDriveSnapshotIdentifier == nil)
        }
        let rawStatus = String(decoding: scenario.blob(SnapshotScenario.statusBlob) ?? Data(), as: UTF8.self)
        #expect(rawStatus.contains(#""isSuccessful":"true""#))
        #expect(scenario.guestSnapshotRequests().isEmpty, "the guest snapshotted although the host did")
        #expect(scenario.emulator.hostSnapshots().count == 3)
        for record in scenario.emulator.hostSnapshots() {
            let metadata = scenario.emulator.blobMetadata(
                container: "vhds", blob: record.blob, snapshot: record.snapshotTime)
            #expect(metadata?["BackupJob"] == "job-42")
        }
        let calls = scenario.hostCalls()
        #expect(calls.map(\.operation) == [.presnapshot, .dosnapshot])
        #expect(calls[0].body?.contains(#""preSnapshotSettings":[{"Key":"isVMADEEnabled","Value":false}]"#) == true)
        #expect(calls[1].body?.contains(#""diskIds":[0,1,-1]"#) == true)
        #expect(calls.allSatisfy { $0.headers["backup"] == "true" && $0.headers["useragent"] == "VMSnapshot" })
        #expect(calls.allSatisfy { $0.headers["user-agent"] == nil })
        #expect(log.contains("snapshot method: firstHostThenGuest (default)"))
        // vmsnap's reader reads the host path's document back.
        let report = try StatusDocumentReader.read(Data(rawStatus.utf8), origin: .statusBlob, source: "status blob")
        #expect(report.disks.count == 3 && report.disks.allSatisfy { $0.progress.state == .succeeded })
        #expect(report.disks.allSatisfy { $0.progress.path == .host })
        let status = try await statusOnce(scenario)
        #expect(status.text.contains("via host"))
        #expect(status.text.contains("snapshot method firstHostThenGuest (default)"))
        #expect(status.text.contains("hostStatusCodeDoSnapshot 200"))
        try expectNoSecrets(scenario, output, log + status.text + status.json)
    }

    @Test func onlyGuestFromCustomSettingsNeverCallsTheHost() async throws {
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        scenario.registerHostVM()
        let settings = try scenario.writeHostSettingsFile(
            customSettings: ["takeSnapshotFrom": "onlyGuest", "isManagedVm": true])
        let (output, document, log) = try await run(scenario, settings: settings)
        #expect(output.status == 0, "\(output.stdout)")
        #expect(telemetry(document, "snapshotCreator") == "guestExtension")
        #expect(telemetry(document, "hostStatusCodePreSnapshot") == nil)
        #expect(document.status.progress?.method == SnapshotMethodChoice(.onlyGuest, .customSettings))
        #expect(scenario.hostCalls().isEmpty)
        #expect(scenario.guestSnapshotRequests().count == 2)
        #expect(document.status.snapshotInfo.allSatisfy { $0.isSuccessful && !$0.successWrittenAsText })
        try expectNoSecrets(scenario, output, log)
    }

    @Test func vmbackupConfSnapshotMethodBeatsTakeSnapshotFrom() async throws {
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        scenario.registerHostVM()
        let conf = scenario.directory.appendingPathComponent("vmbackup.conf")
        try "[SnapshotThread]\nSnapshotMethod = onlyHost\n".write(to: conf, atomically: true, encoding: .utf8)
        let settings = try scenario.writeHostSettingsFile(
            customSettings: ["takeSnapshotFrom": "onlyGuest", "isManagedVm": true])
        let (output, document, _) = try await run(scenario, settings: settings, extra: ["--vmbackup-conf", conf.path])
        #expect(output.status == 0, "\(output.stdout)")
        #expect(document.status.progress?.method == SnapshotMethodChoice(.onlyHost, .vmbackupConf))
        #expect(telemetry(document, "snapshotCreator") == "backupHostService")
        // onlyHost probes only for the host's clock (the command has a start time), then snapshots.
        #expect(scenario.hostCalls().map(\.operation) == [.presnapshot, .dosnapshot])
        #expect(scenario.hostCalls()[0].body?.contains("preSnapshotSettings") == false)
        #expect(scenario.guestSnapshotRequests().isEmpty)
    }

    @Test func firstGuestThenHostAsksTheHostOnlyWhenEveryGuestSnapshotFailed() async throws {
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        scenario.registerHostVM()
        scenario.emulator.setFaults([
            FaultRule(operation: .snapshot, action: .error(status: 403, code: "AuthenticationFailed"))
        ])
        let settings = try scenario.writeHostSettingsFile(
            customSettings: ["takeSnapshotFrom": "firstGuestThenHost", "isManagedVm": true])
        let (output, document, log) = try await run(scenario, settings: settings)
        #expect(output.status == 0, "\(output.stdout)")
        #expect(document.status.code == "1")
        #expect(telemetry(document, "snapshotCreator") == "backupHostService")
        #expect(scenario.guestSnapshotRequests().count >= 2)
        #expect(scenario.hostCalls().last?.operation == .dosnapshot)
        #expect(log.contains("no guest snapshot succeeded: asking the host"))
    }

    /// The command turns stale while the guest waits for the freeze lock: after the guest's freeze it is older
    /// than 140 minutes by the VM's clock (the first presnapshot failed), so the host is asked again; its clock, 10
    /// minutes behind the VM's, finds the command young enough, and the host takes the snapshots.
    @Test func firstGuestThenHostAsksTheHostWhenTheCommandTurnedStaleByTheVMsClock() async throws {
        try await LoopFilesystem.withTestMounts(1) { _, mounts, lock in
            let scenario = try await SnapshotScenario.start(disks: 1)
            defer { Task { try await scenario.stop() } }
            scenario.registerHostVM(diskEncryptionSettings: Self.encryptionSettings, clockOffsetSeconds: -600)
            scenario.emulator.setFaults([
                FaultRule(operation: .presnapshot, action: .failFirst(1, status: 500, code: "InternalError"))
            ])
            // 60 s of slack before the command turns stale: the start check must pass even when a loaded CI machine
            // starts the job late.
            let start = Date().addingTimeInterval(-140 * 60 + 60)
            // ADE on: the guest reads each disk's metadata after the start check, right before its freeze.
            let settings = try scenario.writeHostSettingsFile(
                flags: ["isVMADEEnabled": true],
                customSettings: ["takeSnapshotFrom": "firstGuestThenHost", "isManagedVm": true], commandStart: start)
            let holder = try LockfHolder.start(lock, seconds: 120)
            defer { holder.stop() }
            async let job = run(
                scenario, settings: settings,
                extra: [
                    "--freeze", "auto", "--mount", mounts[0], "--freeze-lock", lock, "--freeze-lock-wait", "100",
                ])
            // The start check has passed once the metadata was read (the job then waits for the lock); the lock is
            // released once the command is stale.
            let patience = Date().addingTimeInterval(55)
            while !scenario.emulator.journal().contains(where: { $0.operation == .getMetadata }), Date() < patience {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(
                scenario.emulator.journal().contains(where: { $0.operation == .getMetadata }),
                "the job never passed its start check (it ends without waiting for the lock)")
            while Date().timeIntervalSince(start) <= 140 * 60 + 1 { try await Task.sleep(for: .milliseconds(100)) }
            holder.stop()
            let (output, document, log) = try await job
            #expect(output.status == 0, "\(output.stdout)\n\(log)")
            #expect(document.status.code == "1")
            #expect(telemetry(document, "snapshotCreator") == "backupHostService")
            #expect(telemetry(document, "hostStatusCodePreSnapshot") == "200", "the last probe's code")
            #expect(document.status.progress?.staleness == "host")
            #expect(log.contains("by the VM's clock, checked after freezing: asking the host (firstGuestThenHost)"))
            #expect(log.components(separatedBy: "freeze: froze").count == 3, "frozen twice: guest, then host")
            #expect(scenario.guestSnapshotRequests().isEmpty, "the stale command took no guest snapshot")
            #expect(scenario.hostCalls().map(\.operation) == [.presnapshot, .presnapshot, .dosnapshot])
            #expect(document.status.snapshotInfo.count == 1 && document.status.snapshotInfo[0].isSuccessful)
            try expectNoSecrets(scenario, output, log, tokens: [Self.encryptionSettings])
        }
    }

    @Test(arguments: [
        (["isAnyWADiskIncluded": true], "isAnyWADiskIncluded"),
        (["isAnyDirectDriveDiskIncluded": true], "isAnyDirectDriveDiskIncluded"),
        (["isVmgsBlobIncluded": true], "isVmgsBlobIncluded"),
    ])
    func aDiskTypeTheGuestCannotTakeForcesOnlyHost(flags: [String: Bool], flag: String) async throws {
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        scenario.registerHostVM()
        let settings = try scenario.writeHostSettingsFile(
            flags: flags, customSettings: ["takeSnapshotFrom": "onlyGuest", "isManagedVm": true])
        let (output, document, _) = try await run(scenario, settings: settings)
        #expect(output.status == 0, "\(output.stdout)")
        #expect(document.status.progress?.method == SnapshotMethodChoice(.onlyHost, .forcedByDiskType(flag)))
        #expect(telemetry(document, "snapshotCreator") == "backupHostService")
        #expect(scenario.guestSnapshotRequests().isEmpty)
    }

    @Test func aWriteAcceleratedLUNForcesOnlyHost() async throws {
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        scenario.registerHostVM()
        let settings = try scenario.writeHostSettingsFile(
            customSettings: ["takeSnapshotFrom": "onlyGuest", "isManagedVm": true, "waDiskLunList": [0]])
        let (output, document, _) = try await run(scenario, settings: settings)
        #expect(output.status == 0, "\(output.stdout)")
        #expect(document.status.progress?.method == SnapshotMethodChoice(.onlyHost, .writeAcceleratedLUN(0)))
    }

    @Test func excludedDisksWithoutALUNListFailWith17WhenTheHostIsNeeded() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        scenario.registerHostVM()
        let settings = try scenario.writeHostSettingsFile(
            flags: ["isAnyDiskExcluded": true, "isAnyDirectDriveDiskIncluded": true], luns: [], osDiskIncluded: false)
        let (output, document, _) = try await run(scenario, settings: settings)
        #expect(output.status == 1)
        #expect(document.status.code == "17")
        #expect(document.status.status == "error")
        #expect(scenario.hostCalls().isEmpty && scenario.guestSnapshotRequests().isEmpty)
    }

    @Test func directDriveDisksReportTheirIdentifierAndTheTokenOnlyInTheStatusBlob() async throws {
        let scenario = try await SnapshotScenario.start(disks: 3)
        defer { Task { try await scenario.stop() } }
        scenario.registerHostVM(directDrive: [1])
        let settings = try scenario.writeHostSettingsFile(flags: [
            "isAnyDirectDriveDiskIncluded": true, "instantAccessDurationMinutes": 60,
        ])
        let (output, document, log) = try await run(scenario, settings: settings)
        #expect(output.status == 0, "\(output.stdout)")
        let directDrive = try #require(document.status.snapshotInfo.first { $0.directDriveSnapshotIdentifier != nil })
        let identifier = try #require(directDrive.directDriveSnapshotIdentifier)
        let record = try #require(scenario.emulator.hostSnapshots().first { $0.directDriveID != nil })
        #expect(identifier.id == record.directDriveID)
        #expect(identifier.instantAccessDurationMinutes == 60)
        #expect(identifier.creationTime.OffsetMinutes == 0)
        let millis = identifier.creationTime.DateTime.dropFirst(6).dropLast(2)
        #expect(identifier.creationTime.DateTime.hasPrefix("/Date(") && Int64(millis) ?? 0 > 1_700_000_000_000)
        #expect(directDrive.snapshotUri == nil)
        #expect(directDrive.blobUri == "\(scenario.emulator.wireServerURL)/\(scenario.fixture.account)/vhds/disk1")
        let token = try #require(identifier.token)
        #expect(token.count > 40 && token != "REDACTED")
        let rawStatus = String(decoding: scenario.blob(SnapshotScenario.statusBlob) ?? Data(), as: UTF8.self)
        #expect(rawStatus.contains(#"\/Date("#))
        // The token reaches the backup service through the status blob's snapshotInfo, nowhere else.
        #expect(document.status.progress.map { String(describing: $0) }?.contains(token) == false)
        #expect(log.contains("DirectDrive snapshot \(record.directDriveID ?? "?")"))
        let status = try await statusOnce(scenario)
        #expect(status.text.contains("DirectDrive snapshot \(record.directDriveID ?? "?")"))
        #expect(
            status.text.contains(
                "snapshot method onlyHost (forced by disk type: includedDisks.isAnyDirectDriveDiskIncluded)"))
        try expectNoSecrets(scenario, output, log + status.text + status.json, tokens: [token])
    }

    @Test func aFailedPresnapshotFallsBackToTheGuest() async throws {
        for (action, code) in [
            (FaultAction.error(status: 500, code: "InternalError"), "500"), (.emptyBody, "557"),
            (.resetConnection, "555"),
        ] {
            let scenario = try await SnapshotScenario.start(disks: 2)
            defer { Task { try await scenario.stop() } }
            scenario.registerHostVM()
            scenario.emulator.setFaults([FaultRule(operation: .presnapshot, action: action)])
            let (output, document, log) = try await run(scenario, settings: try scenario.writeHostSettingsFile())
            #expect(output.status == 0, "\(action): \(output.stdout)")
            #expect(telemetry(document, "snapshotCreator") == "guestExtension", "\(action)")
            #expect(telemetry(document, "hostStatusCodePreSnapshot") == code, "\(action)")
            #expect(scenario.guestSnapshotRequests().count == 2, "\(action)")
            #expect(!scenario.hostCalls().contains { $0.operation == .dosnapshot }, "\(action)")
            #expect(log.contains("the guest takes the snapshots"), "\(action)")
        }
    }

    @Test func aSlowHostStillTakesTheSnapshots() async throws {
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        scenario.registerHostVM()
        scenario.emulator.setFaults([FaultRule(operation: .dosnapshot, action: .latency(ms: 700))])
        let (output, document, _) = try await run(scenario, settings: try scenario.writeHostSettingsFile())
        #expect(output.status == 0, "\(output.stdout)")
        #expect(telemetry(document, "snapshotCreator") == "backupHostService")
        #expect(scenario.hostCalls().last?.fault?.contains("latency") == true)
    }

    @Test func aFailedDosnapshotIsFinal() async throws {
        let cases: [(FaultRule, String, Int)] = [
            (FaultRule(operation: .dosnapshot, action: .hostServiceDown), "556", 556),
            (FaultRule(operation: .dosnapshot, action: .error(status: 500, code: "InternalError")), "500", 76),
            (FaultRule(operation: .dosnapshot, action: .emptyBody), "557", 76),
        ]
        for (rule, hostCode, code) in cases {
            let scenario = try await SnapshotScenario.start(disks: 2)
            defer { Task { try await scenario.stop() } }
            scenario.registerHostVM()
            scenario.emulator.setFaults([rule])
            let (output, document, _) = try await run(scenario, settings: try scenario.writeHostSettingsFile())
            #expect(output.status == 1, "\(rule)")
            #expect(document.status.code == String(code), "\(rule)")
            #expect(document.status.status == "error", "\(rule): the peer reports all-failed as success")
            #expect(document.status.progress?.finished == true)
            #expect(telemetry(document, "hostStatusCodeDoSnapshot") == hostCode, "\(rule)")
            if code == 556 {
                #expect(try await statusOnce(scenario).text.contains("backup host service is not running"))
            }
            #expect(scenario.guestSnapshotRequests().isEmpty, "\(rule): a failed dosnapshot fell back to the guest")
        }
    }

    @Test func oneHostDiskFailingIsAPartialFailure() async throws {
        let cases: [(String, Int, String, Int)] = [
            ("InternalError", 500, "76", 761), ("SnapshotCountExceeded", 409, "85", 85),
        ]
        for (errorCode, status, code, health) in cases {
            let scenario = try await SnapshotScenario.start(disks: 3)
            defer { Task { try await scenario.stop() } }
            scenario.registerHostVM()
            scenario.emulator.setFaults([
                FaultRule(blob: "disk2", operation: .dosnapshot, action: .error(status: status, code: errorCode))
            ])
            let (output, document, _) = try await run(scenario, settings: try scenario.writeHostSettingsFile())
            #expect(output.status == 1)
            #expect(document.status.code == code)
            #expect(document.status.vmHealthInfo.vmHealthStatusCode == health)
            let failed = document.status.snapshotInfo.filter { !$0.isSuccessful }
            #expect(failed.count == 1 && failed[0].blobUri == nil && failed[0].snapshotUri == nil)
            #expect(failed.first?.errorMessage.isEmpty == false)
            #expect(scenario.emulator.hostSnapshots().count == 2)
        }
    }

    @Test func stalenessIsJudgedByTheHostsClock() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        // The host's clock is 150 minutes ahead: by it, a command sent now is older than 140 minutes.
        scenario.registerHostVM(clockOffsetSeconds: 150 * 60)
        let (output, document, log) = try await run(scenario, settings: try scenario.writeHostSettingsFile())
        #expect(output.status == 1)
        #expect(document.status.code == "402")
        #expect(document.status.progress?.staleness == "host")
        #expect(log.contains("by the host's clock"))
        #expect(scenario.hostCalls().map(\.operation) == [.presnapshot])
        #expect(scenario.guestSnapshotRequests().isEmpty)
    }

    @Test func withoutAWireServerTheHostPathIsNotAttemptedAndTheLogSaysWhy() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let settings = try scenario.writeHostSettingsFile()
        let output = try await BuiltBinary.run([
            "snapshot", "--settings", settings.path, "--status-dir", scenario.statusDirectory, "--log-dir",
            scenario.logDirectory,
        ])
        #expect(output.status == 0, "\(output.stdout)")
        let log = try String(contentsOfFile: scenario.logDirectory + "/extension.log", encoding: .utf8)
        #expect(log.contains("host path not attempted: the host path is switched off by VMSNAP_WIRESERVER=off"))
        #expect(scenario.hostCalls().isEmpty)
        let forced = try scenario.writeHostSettingsFile(named: "forced.settings", flags: ["isVmgsBlobIncluded": true])
        let refused = try await BuiltBinary.run(["snapshot", "--settings", forced.path])
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("needs the host, but the host path is not attempted"))
    }

    static let encryptionSettings = "DES-kek-ref-0123456789abcdefABCDEF0123456789"

    @Test func adeOnTheHostPathCarriesDiskEncryptionSettingsOntoEverySnapshot() async throws {
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        scenario.registerHostVM(diskEncryptionSettings: Self.encryptionSettings)
        let settings = try scenario.writeHostSettingsFile(flags: ["isVMADEEnabled": true])
        let (output, document, log) = try await run(scenario, settings: settings)
        #expect(output.status == 0, "\(output.stdout)")
        #expect(telemetry(document, "snapshotCreator") == "backupHostService")
        let snapshots = scenario.emulator.hostSnapshots()
        #expect(snapshots.count == 2)
        for record in snapshots {
            let metadata = scenario.emulator.blobMetadata(
                container: "vhds", blob: record.blob, snapshot: record.snapshotTime)
            #expect(metadata?["DiskEncryptionSettings"] == Self.encryptionSettings)
            #expect(metadata?["BackupJob"] == "job-42")
        }
        #expect(
            scenario.hostCalls().last?.body?.contains(#"{"Key":"DiskEncryptionSettings","Value":"REDACTED"}"#) == true)
        #expect(log.contains("DiskEncryptionSettings \(Self.encryptionSettings.count) characters"))
        try expectNoSecrets(scenario, output, log, tokens: [Self.encryptionSettings])
    }

    @Test func adeOnTheGuestPathKeepsEachDisksDiskEncryptionSettings() async throws {
        let scenario = try await SnapshotScenario.start(disks: 3)
        defer { Task { try await scenario.stop() } }
        // disk0 and disk2 are encrypted, each with its own reference; disk1 has none.
        let values = [0: Self.encryptionSettings + "-0", 2: Self.encryptionSettings + "-2"]
        for (index, value) in values {
            scenario.emulator.createPageBlob(
                container: "vhds", blob: "disk\(index)", size: 1 << 20, metadata: ["DiskEncryptionSettings": value])
        }
        let settings = try scenario.writeHostSettingsFile(
            flags: ["isVMADEEnabled": true], customSettings: ["takeSnapshotFrom": "onlyGuest", "isManagedVm": true])
        let (output, document, log) = try await run(scenario, settings: settings)
        #expect(output.status == 0, "\(output.stdout)")
        #expect(telemetry(document, "snapshotCreator") == "guestExtension")
        for index in 0..<3 {
            let time = try #require(scenario.emulator.snapshots(container: "vhds", blob: "disk\(index)").last)
            let metadata = scenario.emulator.blobMetadata(container: "vhds", blob: "disk\(index)", snapshot: time)
            #expect(metadata?["DiskEncryptionSettings"] == values[index], "disk\(index)")
            #expect(metadata?["BackupJob"] == "job-42", "disk\(index)")
        }
        #expect(log.contains("ADE: DiskEncryptionSettings read for 2 of 3 disk(s)"))
        try expectNoSecrets(scenario, output, log, tokens: Array(values.values))
    }
}
