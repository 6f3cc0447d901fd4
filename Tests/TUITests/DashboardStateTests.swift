import Core
import Foundation
import TestSupport
import Testing

@testable import TUI

@Suite struct DashboardStateTests {
    let now = GoldenGrid.now

    private func model(canTrigger: Bool = true) throws -> DashboardModel {
        var model = try GoldenGrid.model(fixture: StatusDocumentFixtures.partialFailure)
        model.canTrigger = canTrigger
        model.triggerUnavailableReason = "read-only: triggering is disabled (--read-only)"
        return model
    }

    @Test func triggerAsksFirstAndDefaultsToNo() throws {
        let model = try model()
        var state = DashboardState()
        #expect(state.update(.key(.character("t")), model: model, now: now) == .prepareTrigger)
        #expect(state.overlay == .confirmTrigger)
        #expect(state.update(.key(.enter), model: model, now: now) == nil, "Enter means the default: No")
        #expect(state.overlay == .none && state.toast?.text == "snapshot not triggered")
        _ = state.update(.key(.character("t")), model: model, now: now)
        #expect(state.update(.key(.character("y")), model: model, now: now) == .trigger)
    }

    @Test func aPlanThatCannotBeMadeIsNeverTriggered() throws {
        var model = try model()
        model.triggerPlan = .unavailable("vmsnap configuration: broken")
        var state = DashboardState()
        _ = state.update(.key(.character("t")), model: model, now: now)
        #expect(state.update(.key(.character("y")), model: model, now: now) == nil)
    }

    private func running(_ model: DashboardModel) -> DashboardModel {
        var model = model
        model.live = JobSnapshot(origin: .liveJob, taskID: "task-7", status: "transitioning", code: 4)
        return model
    }

    @Test func triggerWhileAJobRunsSaysSoWithoutAsking() throws {
        let model = running(try model())
        var state = DashboardState()
        #expect(state.update(.key(.character("t")), model: model, now: now) == nil)
        #expect(state.overlay == .none)
        #expect(state.toast?.text == "a snapshot job is already running (task task-7): wait for it to finish")
    }

    @Test func quitWhileAJobRunsAsksFirst() throws {
        let model = running(try model())
        var state = DashboardState()
        #expect(state.update(.key(.character("q")), model: model, now: now) == nil)
        #expect(state.overlay == .confirmQuit)
        #expect(state.update(.key(.escape), model: model, now: now) == nil, "anything but y stays")
        #expect(state.overlay == .none)
        _ = state.update(.key(.character("q")), model: model, now: now)
        #expect(state.update(.key(.character("y")), model: model, now: now) == .quit)
    }

    @Test func readOnlyNeverTriggers() throws {
        let model = try model(canTrigger: false)
        var state = DashboardState()
        #expect(state.update(.key(.character("t")), model: model, now: now) == nil)
        #expect(state.overlay == .none)
        #expect(state.toast?.text.contains("read-only") == true)
    }

    @Test func selectionSortAndDetail() throws {
        let model = try model()
        var state = DashboardState()
        _ = state.update(.key(.down), model: model, now: now)
        _ = state.update(.key(.character("j")), model: model, now: now)
        _ = state.update(.key(.character("j")), model: model, now: now)
        #expect(state.selectedRow == 2, "selection stops at the last disk")
        _ = state.update(.key(.enter), model: model, now: now)
        #expect(state.overlay == .detail(2))
        #expect(
            state.codesToExplain(model) == ["SnapshotCountExceeded", "761"],
            "761 says some disks failed; 76 alone would say every disk")
        _ = state.update(.key(.escape), model: model, now: now)
        _ = state.update(.key(.character("s")), model: model, now: now)
        #expect(state.sort == .state)
        #expect(state.sortedDisks(model.job!.disks).first?.progress.state == .failed)
        _ = state.update(.key(.home), model: model, now: now)
        _ = state.update(.key(.enter), model: model, now: now)
        #expect(state.overlay == .detail(2), "after sorting by state the failed disk is first")
    }

    @Test func logFollowPauseSearchAndLevel() throws {
        let model = try model()
        var state = DashboardState()
        _ = state.update(.key(.tab), model: model, now: now)
        #expect(state.focus == .log && state.isFollowing)
        _ = state.update(.key(.up), model: model, now: now)
        #expect(!state.isFollowing, "scrolling up pauses")
        _ = state.update(.key(.character("f")), model: model, now: now)
        #expect(state.isFollowing)
        _ = state.update(.key(.character("/")), model: model, now: now)
        for c in "MOUNTS" { _ = state.update(.key(.character(c)), model: model, now: now) }
        _ = state.update(.key(.enter), model: model, now: now)
        #expect(state.search.text == "MOUNTS")
        #expect(state.searchMatches(model) == [2, 4])
        #expect(state.logAnchor == 4)
        _ = state.update(.key(.character("N")), model: model, now: now)
        #expect(state.logAnchor == 2)
        _ = state.update(.key(.character("n")), model: model, now: now)
        #expect(state.logAnchor == 4)
        _ = state.update(.key(.character("l")), model: model, now: now)
        _ = state.update(.key(.character("l")), model: model, now: now)
        #expect(state.minimumLevel == .warning)
        #expect(state.visibleLogLines(model) == [3])
        _ = state.update(.key(.character("q")), model: model, now: now)
    }

    @Test func helpOverlayAndQuit() throws {
        let model = try model()
        var state = DashboardState()
        _ = state.update(.key(.character("?")), model: model, now: now)
        #expect(state.overlay == .help)
        #expect(state.update(.key(.character("q")), model: model, now: now) == nil, "q closes help first")
        #expect(state.update(.key(.character("q")), model: model, now: now) == .quit)
    }

    @Test func oneMessageTypeDrivesKeysToastsAndPaging() throws {
        var model = try model()
        model.appendLog((0..<200).map { LogLine(timestamp: nil, source: nil, level: .info, message: "line \($0)") })
        var state = DashboardState()
        _ = state.update(.key(.tab), model: model, now: now)
        _ = state.update(.key(.character("f")), model: model, now: now)
        let paused = try #require(state.logAnchor)
        _ = state.update(.key(.pageUp), model: model, now: now)
        let smallPage = paused - (state.logAnchor ?? paused)
        _ = state.update(.resized(width: 120, height: 60), model: model, now: now)
        let before = try #require(state.logAnchor)
        _ = state.update(.key(.pageUp), model: model, now: now)
        let bigPage = before - (state.logAnchor ?? before)
        #expect(bigPage > smallPage, "a taller screen pages further: \(smallPage) then \(bigPage)")
        #expect(smallPage == DashboardView.logPageSize(model, width: 80, height: 24) - 1)
        _ = state.update(.notice("snapshot finished: SUCCEEDED", .ok), model: model, now: now)
        #expect(state.toast?.text == "snapshot finished: SUCCEEDED" && state.toast?.role == .ok)
    }
}
