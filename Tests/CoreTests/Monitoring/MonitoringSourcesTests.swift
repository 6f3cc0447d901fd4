import Core
import Foundation
import TestSupport
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

@Suite struct MonitoringSourcesTests {
    @Test func freshnessSaysAgeFailureAndStale() throws {
        var source = SourceFreshness(name: "status blob", staleAfter: 10)
        let t0 = Date(timeIntervalSince1970: 36_000)
        #expect(source.summary(now: t0, zone: .utc) == "status blob: no data yet STALE")
        source.recordSuccess(at: t0)
        #expect(source.summary(now: t0.addingTimeInterval(3), zone: .utc) == "status blob 3 s ago")
        #expect(source.summary(now: t0.addingTimeInterval(11), zone: .utc) == "status blob 11 s ago STALE")
        source.recordFailure("403 AuthenticationFailed", at: t0.addingTimeInterval(131))
        source.recordFailure("403 AuthenticationFailed", at: t0.addingTimeInterval(140))
        #expect(
            source.summary(now: t0.addingTimeInterval(141), zone: .utc)
                == "status blob: poll failing: 403 AuthenticationFailed since 10:02:11 STALE")
        source.recordSuccess(at: t0.addingTimeInterval(142))
        #expect(!source.isStale(now: t0.addingTimeInterval(143)))
    }

    @Test func clockZonesAgreeWithFoundation() throws {
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        let summer = Date(timeIntervalSince1970: 1_785_000_000)
        #expect(ClockZone.fixed(berlin).secondsFromGMT(for: summer) == 7200)
        #expect(ClockZone.local.secondsFromGMT(for: summer) == TimeZone.current.secondsFromGMT(for: summer))
        #expect(SourceFreshness.clock(Date(timeIntervalSince1970: 36_131), zone: .fixed(berlin)) == "11:02:11")
        #expect(CivilTime.civil(fromDays: 20_417) == (2025, 11, 25))
        #expect(CivilTime.civil(fromDays: -1) == (1969, 12, 31))
    }

    @Test func handlerEnvironmentNamesTheFoldersAndADamagedOneIsToleratedAndExplained() throws {
        let plugin = FileManager.default.temporaryDirectory.appendingPathComponent("plugin-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: plugin) }
        let elsewhere = plugin.appendingPathComponent("elsewhere")
        var environment = SettingsFixtures.handlerEnvironment(pluginDirectory: elsewhere)
        environment[0]["handlerEnvironment"] = [
            "logFolder": "logs", "configFolder": elsewhere.appendingPathComponent("config").path,
            "statusFolder": elsewhere.appendingPathComponent("status").path,
        ]
        let file = plugin.appendingPathComponent(HandlerEnvironment.fileName)
        try SettingsFixtures.write(environment, to: file)
        try FileManager.default.createDirectory(
            at: elsewhere.appendingPathComponent("status"), withIntermediateDirectories: true)
        try StatusDocumentFixtures.data(StatusDocumentFixtures.success).write(
            to: elsewhere.appendingPathComponent("status/3.status"))
        let valid = PluginDirectory(path: plugin.path)
        #expect(valid.environmentProblem == nil)
        #expect(valid.logDirectory == plugin.appendingPathComponent("logs").path, "relative to the file's folder")
        #expect(valid.newestStatus?.sequence == 3, "status files come from statusFolder")

        try Data(#"[{"handlerEnvironment": {"logFolder": 7}}]"#.utf8).write(to: file)
        let damaged = PluginDirectory(path: plugin.path)
        let problem = try #require(damaged.environmentProblem)
        #expect(problem.contains(HandlerEnvironment.fileName) && problem.contains("logFolder"))
        #expect(damaged.logDirectory == VMSnapConfiguration.defaults.logDirectory)
        #expect(damaged.statusDirectory == plugin.appendingPathComponent("status").path)
        #expect(damaged.newestStatus?.sequence == nil)
        let locations = MonitorSourceLocations.resolve(
            statusBlob: nil, pluginDirectory: plugin.path, logDirectory: nil, interval: nil, configuration: nil)
        #expect(locations.logFile == VMSnapConfiguration.defaults.logDirectory + "/extension.log")
        #expect(PluginDirectory(path: elsewhere.path).environment == nil, "no file is no problem")
    }

    @Test func discoversNewestPluginDirectoryStatusAndRedactedSettings() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("waagent-\(UUID().uuidString)")
        for version in ["1.0.9.0", "1.0.10.0"] {
            let plugin = root.appendingPathComponent("\(PluginDirectory.extensionName)-\(version)")
            try FileManager.default.createDirectory(
                at: plugin.appendingPathComponent("status"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(
                at: plugin.appendingPathComponent("config"), withIntermediateDirectories: true)
        }
        let plugin = try #require(PluginDirectory.discover(agentDirectory: root.path))
        #expect(plugin.extensionVersion == "1.0.10.0")
        let status = URL(fileURLWithPath: plugin.path).appendingPathComponent("status")
        try Data("[]".utf8).write(to: status.appendingPathComponent("2.status"))
        try StatusDocumentFixtures.data(StatusDocumentFixtures.peerStatusFile).write(
            to: status.appendingPathComponent("10.status"))
        let snapshot = try #require(try plugin.readNewestStatus())
        #expect(snapshot.sequenceNumber == 10)
        #expect(snapshot.origin == .statusFile)

        let settings = #"""
            {"runtimeSettings": [{"handlerSettings": {"publicSettings": {"taskId": "t1",
              "statusBlobUri": "https://a.blob.core.windows.net/c/status?sv=1&sig=SECRET"},
              "protectedSettings": "MIIBwQYJKoZIhvcNAQcDoIIBsjCCAa4CAQA=", "protectedSettingsCertThumbprint": "AB"}}]}
            """#
        try Data(settings.utf8).write(
            to: URL(fileURLWithPath: plugin.path).appendingPathComponent("config/10.settings"))
        let shown = try #require(plugin.redactedNewestSettings())
        #expect(!shown.contains("SECRET") && !shown.contains("MIIBwQ"))
        #expect(shown.contains("(encrypted, 36 bytes)"))
        #expect(plugin.publicStatusBlobURI()?.hasSuffix("sig=SECRET") == true)
        try? FileManager.default.removeItem(at: root)
    }

    private struct ScriptedFetcher: StatusBlobFetching {
        let answers: [StatusFetch]
        let seen = SeenTags()
        func fetch(ifNoneMatch etag: String?) async throws -> StatusFetch {
            let n = seen.record(etag)
            return answers[min(n, answers.count - 1)]
        }
    }

    private final class SeenTags: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var tags: [String?] = []
        func record(_ tag: String?) -> Int {
            lock.withLock {
                tags.append(tag)
                return tags.count - 1
            }
        }
    }

    @Test func pollerSendsETagTreats304AsUnchangedAndBacksOff() async throws {
        let body = try StatusDocumentFixtures.data(StatusDocumentFixtures.peerStatusBlob)
        let fetcher = ScriptedFetcher(answers: [
            StatusFetch(status: 200, etag: "\"e1\"", body: body), StatusFetch(status: 304),
            StatusFetch(status: 403, errorCode: "AuthenticationFailed"),
        ])
        let poller = StatusBlobPoller(fetcher: fetcher, interval: 0.2)
        #expect(await poller.nextDelay == 1, "interval floor is 1 s")
        guard case .updated(let snapshot) = await poller.poll() else {
            Issue.record("first poll should update")
            return
        }
        #expect(snapshot.code == 1)
        #expect(await poller.poll() == .unchanged)
        #expect(await poller.poll() == .failed("403 AuthenticationFailed"))
        #expect(await poller.nextDelay == 2)
        _ = await poller.poll()
        #expect(await poller.nextDelay == 4)
        #expect(fetcher.seen.tags == [nil, "\"e1\"", "\"e1\"", "\"e1\""])
    }

    @Test func liveTrackerFollowsEventsAndOpenFreezeWindow() {
        let t0 = Date(timeIntervalSince1970: 1000)
        let disk = DiskProgress(
            index: 0, blobURI: "https://a.blob.core.windows.net/c/d.vhd", account: "a", container: "c", blob: "d.vhd")
        var tracker = LiveJobTracker(taskID: "t", disks: [disk], freezeTimeout: 10, startedAt: t0)
        tracker.apply(.started(.freeze, at: t0.addingTimeInterval(1)))
        #expect(tracker.openFreezeWindow(now: t0.addingTimeInterval(4)) == 3)
        #expect(tracker.snapshot.currentPhase?.stage == .freeze)
        tracker.apply(
            .ended(.freeze, started: t0.addingTimeInterval(1), ended: t0.addingTimeInterval(1.5), detail: "2 mounts"))
        var done = disk
        done.state = .succeeded
        done.snapshotTime = "2026-11-25T03:07:04.5315790Z"
        tracker.apply(.disk(done, at: t0.addingTimeInterval(1.6)))
        tracker.apply(.ended(.thaw, started: t0.addingTimeInterval(1.9), ended: t0.addingTimeInterval(2)))
        #expect(tracker.snapshot.freezeWindowSeconds == 1)
        #expect(tracker.openFreezeWindow(now: t0.addingTimeInterval(5)) == nil)
        tracker.apply(
            .finished(
                JobResult(
                    code: 1, healthStatusCode: 1, status: "success", message: "ok", disks: [done],
                    statusDelivery: .uploaded)
            ))
        #expect(tracker.snapshot.judge(now: t0).verdict == .succeeded)
        #expect(tracker.snapshot.diskProgress == (1, 1))
        #expect(tracker.snapshot.phases.first { $0.stage == .preScript }?.state == .skipped)
    }
}
