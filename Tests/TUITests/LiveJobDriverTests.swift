import Core
import Foundation
import TestSupport
import Testing

@testable import TUI

@Suite struct LiveJobDriverTests {
    /// Waits (up to 30 s) until the feed's live job has ended and the driver has announced it.
    private func finishedLiveJob(_ feed: DashboardFeed) async throws -> DashboardModel {
        for _ in 0..<600 {
            let model = feed.current().model
            if let live = model.live, live.isTerminal, model.notice?.text.hasPrefix("snapshot finished") == true {
                return model
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the triggered job never ended")
        return feed.current().model
    }

    @Test func invalidSettingsEndWithATerminalStatusTheDashboardShows() async throws {
        let plugin = FileManager.default.temporaryDirectory.appendingPathComponent("trigger-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: plugin) }
        try SettingsFixtures.write(
            SettingsFixtures.handlerEnvironment(pluginDirectory: plugin),
            to: plugin.appendingPathComponent(HandlerEnvironment.fileName))
        let settings = plugin.appendingPathComponent("config/5.settings")
        try FileManager.default.createDirectory(
            at: settings.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(#"{"runtimeSettings": [{"handlerSettings": {"publicSettings": 3}}]}"#.utf8).write(to: settings)
        let directory = PluginDirectory(path: plugin.path)
        let feed = DashboardFeed(DashboardModel(vmName: "vm", freezeTimeout: 60, sources: [], canTrigger: true))
        let driver = LiveJobDriver(feed: feed, freezeTimeout: 60) {
            directory.snapshotJob(
                options: SnapshotJobOptions(logDirectory: plugin.appendingPathComponent("log").path))
        }
        driver.trigger()
        let model = try await finishedLiveJob(feed)
        let live = try #require(model.live)
        #expect(live.status == .error)
        #expect(live.message.contains("invalid settings") && live.message.contains("publicSettings"))
        #expect(live.sequenceNumber == 5)
        let notice = try #require(model.notice)
        #expect(notice.role == .critical && notice.text.contains("FAILED, code \(live.code ?? -1)"))
        #expect(notice.text.contains("invalid settings"), "the toast says why")

        let status = try #require(directory.newestStatus, "the refusal reached a terminal status file")
        #expect(status.sequence == 5)
        let written = try #require(try directory.readNewestStatus())
        #expect(written.status == .error && written.code == live.code)
    }
}
