import Core
import Emulator
import Foundation
import TestSupport
import Testing

/// The job engine against the emulator, with real libcurl over loopback.
@Suite struct SnapshotJobTests {
    /// Runs a job and collects its events.
    func run(_ job: SnapshotJob) async -> (JobResult, [JobEvent]) {
        let collector = Task {
            var events: [JobEvent] = []
            for await event in job.events { events.append(event) }
            return events
        }
        let result = await job.run()
        return (result, await collector.value)
    }

    @Test(arguments: [1, 5, 64]) func everyDiskIsSnapshotted(disks: Int) async throws {
        let scenario = try await SnapshotScenario.start(disks: disks)
        defer { Task { try await scenario.stop() } }
        let job = SnapshotJob(settings: try scenario.settings(), options: scenario.options())
        let (result, events) = await run(job)
        #expect(result.code == 1)
        #expect(result.status == "success")
        #expect(result.statusUploaded)
        #expect(result.disks.count == disks)
        for (index, disk) in result.disks.enumerated() {
            #expect(disk.state == .succeeded)
            #expect(disk.attempts == 1)
            #expect(disk.httpStatus == 201)
            #expect(disk.requestID?.isEmpty == false)
            let snapshots = scenario.emulator.snapshots(
                account: scenario.fixture.account, container: scenario.fixture.container, blob: "disk\(index)")
            #expect(snapshots.count == 1)
            #expect(disk.snapshotURI == "\(disk.blobURI)?snapshot=\(snapshots.first ?? "")")
        }
        let snapshotRequests = scenario.emulator.journal().filter { $0.operation == .snapshot }
        #expect(snapshotRequests.count == disks)
        #expect(snapshotRequests.allSatisfy { $0.headers["x-ms-meta-backupjob"] == "job-42" })
        #expect(snapshotRequests.allSatisfy { $0.headers["x-ms-client-request-id"] != nil })
        #expect(snapshotRequests.allSatisfy { $0.headers["user-agent"]?.hasPrefix("vmsnap/") == true })
        // Warm-up: one unsigned HEAD per connection the snapshots use at once; the status and log blobs reuse them.
        // The two signed HEADs are the status and log targets' Get Blob Properties (block or page blob?).
        let heads = scenario.emulator.journal().filter { $0.method == "HEAD" }
        #expect(heads.filter { !$0.path.contains("sig=") }.count == disks)
        #expect(heads.filter { $0.path.contains("sig=") }.count == 2)
        guard case .finished(let last) = events.last else {
            Issue.record("the last event is not .finished")
            return
        }
        #expect(last == result)
        let stages = events.compactMap { event -> JobStage? in
            if case .stage(let record) = event, record.state == .running { return record.stage }
            return nil
        }
        #expect(stages == [.validate, .dedupe, .staleness, .preconnect, .snapshot, .report])
        let document = try #require(try scenario.statusDocument())
        #expect(document.status.code == "1")
        #expect(document.status.taskId == scenario.taskID)
        #expect(document.status.snapshotInfo.count == disks)
        #expect(
            document.status.snapshotInfo.allSatisfy { $0.isSuccessful && ($0.snapshotUri ?? "").contains("?snapshot=") }
        )
        #expect(document.status.progress?.finished == true)
        let statusFile = try String(contentsOfFile: scenario.statusDirectory + "/0.status", encoding: .utf8)
        #expect(statusFile.contains(#""status":"success""#))
    }

    @Test func everyStageIsRecordedAndStagesThatDoNotApplySayWhy() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let (result, _) = await run(SnapshotJob(settings: try scenario.settings(), options: scenario.options()))
        #expect(result.code == 1)
        let stages = try #require(try scenario.statusDocument()?.status.progress?.stages)
        #expect(stages.map(\.stage) == JobStage.allCases)
        #expect(
            stages.filter { $0.state == .succeeded }.map(\.stage) == [
                .validate, .dedupe, .staleness, .preconnect, .snapshot, .report,
            ])
        let skipped = stages.filter { $0.state == .skipped }
        #expect(skipped.map(\.stage) == [.preScript, .database, .freeze, .thaw, .postScript])
        #expect(
            skipped.map(\.detail) == [
                "scripts are off", "no database named in workload.conf", "freezing is off", "nothing was frozen",
                "scripts are off",
            ])
        let snapshot = try #require(stages.first { $0.stage == .snapshot })
        #expect(snapshot.detail.hasPrefix("1 of 1 disk(s) snapshotted in "), "\(snapshot)")
        // The raw shape the dashboard reads.
        let data = try #require(scenario.blob(SnapshotScenario.statusBlob))
        let documents = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        let status = try #require(documents.first?["status"] as? [String: Any])
        let progress = try #require(status["progress"] as? [String: Any])
        let records = try #require(progress["stages"] as? [[String: Any]])
        let freeze = try #require(records.first { $0["stage"] as? String == "freeze" })
        #expect(Set(freeze.keys) == ["stage", "state", "startedUTC", "endedUTC", "detail"])
        #expect(freeze["state"] as? String == "skipped")
        let millisecondsUTC = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/
        for record in records {
            #expect((record["startedUTC"] as? String)?.wholeMatch(of: millisecondsUTC) != nil, "\(record)")
            #expect((record["endedUTC"] as? String)?.wholeMatch(of: millisecondsUTC) != nil, "\(record)")
        }
    }

    @Test func transientErrorsAreRetried() async throws {
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        scenario.emulator.setFaults([
            FaultRule(blob: "disk0", operation: .snapshot, action: .failFirst(2, status: 503, code: "ServerBusy"))
        ])
        let (result, events) = await run(SnapshotJob(settings: try scenario.settings(), options: scenario.options()))
        #expect(result.code == 1)
        #expect(result.disks[0].state == .succeeded)
        #expect(result.disks[0].attempts == 3)
        #expect(result.disks[1].attempts == 1)
        let retrying = events.contains {
            if case .disk(let disk, _) = $0 { return disk.index == 0 && disk.state == .retrying }
            return false
        }
        #expect(retrying)
    }

    /// A server whose error answer echoes a signature (code and message) must not get it into any event or result.
    @Test func serverErrorTextIsRedacted() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let echoed = "EchoedSignatureValue"
        scenario.emulator.setFaults([
            FaultRule(operation: .snapshot, action: .error(status: 400, code: "Echo?sv=1&sig=\(echoed)"))
        ])
        let (result, events) = await run(SnapshotJob(settings: try scenario.settings(), options: scenario.options()))
        #expect(result.code == 76)
        #expect(result.disks[0].errorMessage?.contains("Injected fault") == true)
        let lines = events.compactMap(JobEventFormat.humanLine) + events.map(JobEventFormat.jsonLine)
        let failedDiskLine = lines.first { $0.hasPrefix("FAIL disk 0") }
        #expect(failedDiskLine != nil)
        for line in lines { #expect(!line.contains(echoed), "\(line)") }
        let disks = result.disks + events.compactMap { if case .disk(let disk, _) = $0 { disk } else { nil } }
        for disk in disks {
            #expect(!(disk.errorCode ?? "").contains(echoed))
            #expect(!(disk.errorMessage ?? "").contains(echoed))
        }
        #expect(!result.message.contains(echoed))
    }

    @Test func forbiddenDiskIsAPartialFailureWithItsError() async throws {
        let scenario = try await SnapshotScenario.start(disks: 3)
        defer { Task { try await scenario.stop() } }
        scenario.emulator.setFaults([
            FaultRule(blob: "disk1", operation: .snapshot, action: .error(status: 403, code: "AuthenticationFailed"))
        ])
        let (result, _) = await run(SnapshotJob(settings: try scenario.settings(), options: scenario.options()))
        #expect(result.code == 76)
        #expect(result.healthStatusCode == 761)
        #expect(result.status == "error")
        let failed = result.disks[1]
        #expect(failed.state == .failed)
        #expect(failed.attempts == 1)
        #expect(failed.httpStatus == 403)
        #expect(failed.errorCode == "AuthenticationFailed")
        #expect(failed.requestID?.isEmpty == false)
        #expect(result.message.contains("AuthenticationFailed"))
        #expect(result.disks[0].state == .succeeded && result.disks[2].state == .succeeded)
        let document = try #require(try scenario.statusDocument())
        #expect(document.status.code == "76")
        #expect(document.status.vmHealthInfo.vmHealthStatusCode == 761)
        #expect(document.status.vmHealthInfo.vmHealthState == 256)
        #expect(document.status.snapshotInfo[1].isSuccessful == false)
        #expect(document.status.snapshotInfo[1].errorMessage.isEmpty == false)
    }

    @Test func diskThatNeverAnswersFailsAtTheDeadline() async throws {
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        scenario.emulator.setFaults([FaultRule(blob: "disk0", operation: .snapshot, action: .neverAnswer)])
        // The deadline counts from the job's start. The stages before the snapshot take milliseconds, but seconds
        // on a loaded machine: the deadline leaves them room, so disk1 is always answered before it passes.
        let options = scenario.options(deadline: .seconds(10))
        let started = ContinuousClock.now
        let (result, events) = await run(SnapshotJob(settings: try scenario.settings(), options: options))
        // The work ends at the deadline (the watchdog cancels one second after it), then reporting has its own time.
        #expect(ContinuousClock.now - started < options.deadline + .seconds(1) + options.reportingTime)
        let snapshotEnded = events.contains { $0.isStage(.snapshot, .failed) }
        #expect(snapshotEnded, "the snapshot stage did not end with a failure at the deadline")
        #expect(result.code == 76)
        #expect(result.healthStatusCode == 761)
        #expect(result.disks[0].state == .failed)
        #expect(result.disks[0].errorMessage?.contains("deadline") == true)
        #expect(result.disks[1].state == .succeeded)
        #expect(result.statusUploaded)
        let statusFile = try String(contentsOfFile: scenario.statusDirectory + "/0.status", encoding: .utf8)
        #expect(statusFile.contains(#""code":76"#))
    }

    @Test func seedStyleSignaturesWithEscapesAreAccepted() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        // Sign the same disk with different expiries until the signature holds %2B, %2F and %3D.
        var chosen: String?
        for minutes in 60..<2000 where chosen == nil {
            let uri = scenario.fixture.sasURI(blob: "disk0", expiry: Date().addingTimeInterval(Double(minutes) * 60))
            if ["%2B", "%2F", "%3D"].allSatisfy({ uri.contains("sig=") && uri.split(separator: "sig=")[1].contains($0) }
            ) {
                chosen = uri
            }
        }
        let uri = try #require(chosen)
        #expect(uri.contains("sv=2014-02-14"))
        let (result, _) = await run(
            SnapshotJob(settings: try scenario.settings(disks: [uri]), options: scenario.options()))
        #expect(result.code == 1)
        #expect(result.disks.first?.state == .succeeded)
    }

    @Test func repeatedTaskDoesNothingAndKeepsTheFirstStatus() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let settings = try scenario.settings()
        let (first, _) = await run(SnapshotJob(settings: settings, options: scenario.options()))
        #expect(first.code == 1)
        let statusPath = scenario.statusDirectory + "/0.status"
        let statusBefore = try Data(contentsOf: URL(fileURLWithPath: statusPath))
        let (second, _) = await run(SnapshotJob(settings: settings, options: scenario.options()))
        #expect(second.code == 3)
        #expect(try Data(contentsOf: URL(fileURLWithPath: statusPath)) == statusBefore)
        let snapshots = scenario.emulator.snapshots(
            account: scenario.fixture.account, container: scenario.fixture.container, blob: "disk0")
        #expect(snapshots.count == 1)
    }

    @Test func staleCommandIsRefusedWith402() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let settings = try scenario.settings(commandStart: Date().addingTimeInterval(-141 * 60))
        let (result, _) = await run(SnapshotJob(settings: settings, options: scenario.options()))
        #expect(result.code == 402)
        #expect(scenario.emulator.journal().filter { $0.operation == .snapshot }.isEmpty)
        #expect(try scenario.statusDocument()?.status.code == "402")
    }

    @Test func cancellationEndsWithATerminalStatus() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        scenario.emulator.setFaults([FaultRule(operation: .snapshot, action: .neverAnswer)])
        let job = SnapshotJob(settings: try scenario.settings(), options: scenario.options())
        // Cancel once the snapshot request is on its way, as a SIGTERM would.
        let canceller = Task {
            for await event in job.events {
                if case .disk(let disk, _) = event, disk.state == .inFlight { job.cancel(reason: "SIGTERM") }
            }
        }
        let result = await job.run()
        await canceller.value
        #expect(result.code == 2)
        #expect(result.message.contains("SIGTERM"))
        #expect(result.disks[0].state == .failed)
        #expect(result.statusUploaded)
        let document = try #require(try scenario.statusDocument())
        #expect(document.status.progress?.finished == true)
        #expect(document.status.status == "error")
    }

    @Test func noSignatureReachesAnyOutput() async throws {
        let scenario = try await SnapshotScenario.start(disks: 3)
        defer { Task { try await scenario.stop() } }
        scenario.emulator.setFaults([
            FaultRule(blob: "disk2", operation: .snapshot, action: .error(status: 403, code: "AuthenticationFailed"))
        ])
        let (result, events) = await run(
            SnapshotJob(settings: try scenario.settings(), options: scenario.options()))
        #expect(result.code == 76)
        var outputs = [
            ("event lines", events.map(JobEventFormat.jsonLine).joined(separator: "\n")),
            ("human lines", events.compactMap(JobEventFormat.humanLine).joined(separator: "\n")),
            ("extension.log", try String(contentsOfFile: scenario.logDirectory + "/extension.log", encoding: .utf8)),
            ("status file", try String(contentsOfFile: scenario.statusDirectory + "/0.status", encoding: .utf8)),
        ]
        let statusBlob = try #require(scenario.blob(SnapshotScenario.statusBlob))
        let logBlob = try #require(scenario.blob(SnapshotScenario.logBlob))
        outputs += [
            ("status blob", String(decoding: statusBlob, as: UTF8.self)),
            ("log blob", String(decoding: logBlob, as: UTF8.self)),
        ]
        #expect(outputs[5].1.contains("disk2"))
        #expect(scenario.signatures.count == 10)
        for (name, text) in outputs {
            #expect(!text.isEmpty, "\(name) is empty")
            #expect(!scenario.leaksSignature(text), "\(name) leaks a signature")
        }
    }
}

/// The blob client's connection handling against the emulator.
@Suite struct BlobClientConnectionTests {
    @Test func preconnectedConnectionsAreReusedBySnapshots() async throws {
        let scenario = try await SnapshotScenario.start(disks: 8)
        defer { Task { try await scenario.stop() } }
        let client = BlobClient()
        let disks = try scenario.diskURIs.map { try SASBlobURI($0) }
        let unreachable = await client.preconnect(disks)
        #expect(unreachable.isEmpty)
        let responses = try await withThrowingTaskGroup(of: BlobResponse.self) { group in
            for disk in disks { group.addTask { try await client.snapshot(disk, metadata: []) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(responses.allSatisfy { $0.status == 201 })
        #expect(responses.map(\.connectionsOpened).reduce(0, +) == 0)
        let heads = scenario.emulator.journal().filter { $0.method == "HEAD" }
        #expect(heads.count == disks.count)
        #expect(heads.allSatisfy { !$0.path.contains("sig=") })
    }

    @Test func conditionalGetAndErrorsAreCaptured() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let client = BlobClient()
        let status = try SASBlobURI(scenario.statusURI)
        let put = try await client.putBlockBlob(status, body: Data("{}".utf8), contentType: "application/json")
        #expect(put.status == 201)
        let first = try await client.get(status)
        #expect(first.status == 200)
        #expect(first.body == Data("{}".utf8))
        let etag = try #require(first.etag)
        let unchanged = try await client.get(status, ifNoneMatch: etag)
        #expect(unchanged.status == 304)
        let readOnly = try SASBlobURI(scenario.fixture.sasURI(blob: "disk0", permissions: "r"))
        let denied = try await client.snapshot(readOnly, metadata: [])
        #expect(denied.status == 403)
        #expect(denied.errorCode == "AuthorizationPermissionMismatch")
        #expect(denied.requestID?.isEmpty == false)
        await #expect(throws: BlobTransportError.self) {
            try await client.get(try SASBlobURI("http://127.0.0.1:1/acct/c/b?sig=x"))
        }
    }
}

/// How the status blob is published while and after a job runs.
@Suite struct StatusPublishingTests {
    @Test func liveProgressIsUploadedWhileDisksAreSlow() async throws {
        let scenario = try await SnapshotScenario.start(disks: 3)
        defer { Task { try await scenario.stop() } }
        scenario.emulator.setFaults([FaultRule(blob: "disk2", operation: .snapshot, action: .latency(ms: 1500))])
        let job = SnapshotJob(settings: try scenario.settings(), options: scenario.options())
        let running = Task { await job.run() }
        var live: StatusBlobDocument?
        // Poll until an in-progress document with a finished disk shows up or the job's final one does (bounded
        // only so that a broken reporter cannot hang the suite).
        var jobEnded = false
        for _ in 0..<3000 where live == nil && !jobEnded {
            try await Task.sleep(for: .milliseconds(20))
            guard let document = try? scenario.statusDocument(), let progress = document.status.progress else {
                continue
            }
            jobEnded = progress.finished
            if !progress.finished && progress.disks.contains(where: { $0.state == .succeeded }) { live = document }
        }
        let result = await running.value
        #expect(result.code == 1)
        let document = try #require(live, "no in-progress document with a finished disk was uploaded")
        #expect(document.status.status == "transitioning")
        #expect(document.status.code == "4")
        #expect(document.status.progress?.stage == .snapshot)
        let progress = try #require(document.status.progress)
        let snapshotStage = try #require(progress.stages.last { $0.stage == .snapshot })
        // While a disk is still out, the snapshot stage is running (once all are done it may already have ended).
        if !progress.disks.allSatisfy({ $0.state == .succeeded }) {
            #expect(snapshotStage.state == .running && snapshotStage.endedUTC == nil)
        }
        let uploads = scenario.emulator.journal().filter { $0.path.contains(SnapshotScenario.statusBlob) }
        #expect(uploads.count <= 12, "\(uploads.count) status uploads for a 1.5 s job")
    }

    @Test func failedTerminalUploadIsRecordedInTheStatusFile() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        scenario.emulator.setFaults([
            FaultRule(blob: SnapshotScenario.statusBlob, action: .error(status: 503, code: "ServerBusy"))
        ])
        var options = scenario.options()
        options.reportingTime = .seconds(2)
        let job = SnapshotJob(settings: try scenario.settings(), options: options)
        let reportStarted = Task { () -> Date? in
            var started: Date?
            for await event in job.events {
                if case .stage(let record) = event, record.stage == .report, record.state == .running {
                    started = record.startedAt
                }
            }
            return started
        }
        let result = await job.run()
        #expect(result.code == 1)
        #expect(!result.statusUploaded)
        let file = try String(contentsOfFile: scenario.statusDirectory + "/0.status", encoding: .utf8)
        #expect(file.contains("StatusBlobUpload"))
        #expect(file.contains("terminal status upload failed"))
        #expect(file.contains(#""status":"success""#))
        let started = try #require(await reportStarted.value)
        let terminalAttempts = scenario.emulator.journal().filter {
            $0.path.contains(SnapshotScenario.statusBlob) && $0.time >= started
        }
        #expect(terminalAttempts.count >= 2, "the terminal upload was not retried")
    }
}
