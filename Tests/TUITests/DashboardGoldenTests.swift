import Core
import Foundation
import TestSupport
import Testing

@testable import TUI

@Suite struct DashboardGoldenTests {
    @Test(arguments: [(80, 24), (200, 60), (DashboardView.minimumWidth, DashboardView.minimumHeight)])
    func peerStatusBlobAtEachSize(width: Int, height: Int) throws {
        let model = try GoldenGrid.model(fixture: StatusDocumentFixtures.peerStatusBlob)
        try GoldenGrid.check(
            GoldenGrid.render(model, width: width, height: height), "peer-statusblob-\(width)x\(height)")
    }

    @Test func peerStatusFileShowsTheWrappedBlob() throws {
        let model = try GoldenGrid.model(fixture: StatusDocumentFixtures.peerStatusFile, origin: .statusFile)
        let grid = GoldenGrid.render(model, width: 80, height: 24)
        try GoldenGrid.check(grid, "peer-statusfile-80x24")
        #expect(grid.lines[0].contains("seq 12"))
    }

    /// Every verdict on documents shaped like the peer's, at 80x24 and 200x60: the verdict and the cause on the main
    /// screen, never the status word's claim.
    @Test(arguments: [
        (StatusDocumentFixtures.peerSuccessWordAtCode4, "STUCK", "written 2026-11-22 01:00:00 UTC, 3 d ago"),
        (StatusDocumentFixtures.peerPartialWithUnnamedDisk, "FAILED", "disk 1 (not named): AuthenticationFailed"),
        (StatusDocumentFixtures.peerFreezeFailure, "FAILED", "code 121 FailedRetryableFsFreezeFailed"),
    ])
    func peerShapedVerdicts(fixture: String, verdict: String, cause: String) throws {
        let model = try GoldenGrid.model(fixture: fixture)
        let name = fixture.replacingOccurrences(of: ".json", with: "")
        for (width, height) in [(80, 24), (200, 60)] {
            let grid = GoldenGrid.render(model, width: width, height: height)
            try GoldenGrid.check(grid, "\(name)-\(width)x\(height)")
            let header = grid.lines.prefix(6).joined(separator: "\n")
            #expect(header.contains(verdict), "\(header)")
            #expect(header.contains(cause), "\(header)")
            #expect(!header.contains("SUCCEEDED"))
        }
    }

    @Test(arguments: [
        StatusDocumentFixtures.success, StatusDocumentFixtures.partialFailure, StatusDocumentFixtures.stuckAtCode4,
        StatusDocumentFixtures.freezeFailure, StatusDocumentFixtures.skippedFreeze,
    ])
    func ourDocuments(fixture: String) throws {
        let model = try GoldenGrid.model(fixture: fixture)
        let name = fixture.replacingOccurrences(of: ".json", with: "")
        try GoldenGrid.check(GoldenGrid.render(model, width: 100, height: 30), "\(name)-100x30")
    }
}

/// The header names the last good snapshot's age from the job history: in full where it fits, shorter where not,
/// critical once it is older than 26 hours.
@Suite struct LastGoodSnapshotGoldenTests {
    @Test func theLastGoodSnapshotsAgeIsInTheHeader() throws {
        var model = try GoldenGrid.model(fixture: StatusDocumentFixtures.partialFailure)
        model.journalLastSuccess = GoldenGrid.now.addingTimeInterval(-3 * 3600)
        let wide = GoldenGrid.render(model, width: 100, height: 30)
        try GoldenGrid.check(wide, "last-good-snapshot-100x30")
        #expect(
            wide.lines[2].trimmingCharacters(in: .whitespaces).hasSuffix("log 1 s ago  last good snapshot 3 h ago"),
            "\(wide.lines[2])")
        let narrow = GoldenGrid.render(model, width: 80, height: 24)
        #expect(
            narrow.lines[2].contains("last good 3 h ago") && !narrow.lines[2].contains("snapshot"), "\(narrow.lines[2])"
        )
        model.journalLastSuccess = GoldenGrid.now.addingTimeInterval(-30 * 3600)
        let old = GoldenGrid.render(model, width: 100, height: 30)
        let line = old.lines[2]
        let column = try #require(line.range(of: "last good")).lowerBound.utf16Offset(in: line)
        #expect(old[column, 2].style.role == .critical, "older than 26 h: \(line)")
    }
}

@Suite struct DashboardScreensGoldenTests {
    private func partial() throws -> DashboardModel {
        try GoldenGrid.model(fixture: StatusDocumentFixtures.partialFailure)
    }

    @Test func wideCharacterDiskNames() throws {
        var model = try partial()
        model.blob?.disks[0].progress.blob = "データディスク-本番.vhd"
        model.blob?.disks[1].progress.blob = "磁盘一号.vhd"
        let grid = GoldenGrid.render(model, width: 80, height: 24)
        try GoldenGrid.check(grid, "wide-names-80x24")
        #expect(grid.lines.allSatisfy { DisplayWidth.of($0) == 80 }, "every row is exactly the terminal's width")
    }

    @Test func asciiFallbackAndStateWithoutColour() throws {
        var model = try partial()
        model.source("status blob") { $0.recordFailure("403 AuthenticationFailed", at: GoldenGrid.now) }
        let grid = GoldenGrid.render(model, width: 80, height: 24, ascii: true)
        try GoldenGrid.check(grid, "monochrome-ascii-80x24")
        #expect(grid.lines.joined().allSatisfy { $0.isASCII })
        let text = grid.lines.joined(separator: "\n")
        for word in [
            "ERROR", "FAILED", "done", "STALE", "poll failing: 403 AuthenticationFailed since 03:07:09", "FOLLOW",
        ] {
            #expect(text.contains(word), "'\(word)' is spelled out, not only coloured")
        }
    }

    @Test func aLongPollFailureStillSaysSinceWhenAndStale() throws {
        var model = try partial()
        let curl =
            "Couldn't connect to server: Failed to connect to 127.0.0.1 port 10077 after 0 ms: "
            + "Couldn't connect to server (curl 7, client request 1)"
        model.source("status blob") { $0.recordFailure(curl, at: GoldenGrid.now) }
        let header = GoldenGrid.render(model, width: 120, height: 30).lines[2]
        #expect(header.contains("poll failing: Couldn't connect to server"), "\(header)")
        #expect(header.contains("since 03:07:09 STALE"), "\(header)")
        #expect(header.contains("status file"), "the other sources stay visible: \(header)")
    }

    /// A running job whose status blob carries its budget: time left while it runs, stuck only past its deadline
    /// (a long pre-script updates nothing for many minutes).
    @Test func runningJobShowsTimeLeftAndIsStuckOnlyPastItsDeadline() throws {
        var model = try GoldenGrid.model(fixture: StatusDocumentFixtures.stuckAtCode4)
        model.blob?.timestamp = GoldenGrid.now.addingTimeInterval(-20 * 60)
        model.blob?.deadline = GoldenGrid.now.addingTimeInterval(754)
        let running = GoldenGrid.render(model, width: 120, height: 30).lines.joined(separator: "\n")
        #expect(running.contains("time left 12 min"), "\(running)")
        #expect(running.contains("RUNNING") && !running.contains("STUCK"), "\(running)")
        model.blob?.deadline = GoldenGrid.now.addingTimeInterval(-Verdict.reportingGrace - 5)
        let late = GoldenGrid.render(model, width: 120, height: 30).lines.joined(separator: "\n")
        #expect(late.contains("STUCK") && !late.contains("time left"), "\(late)")
    }

    @Test func tooSmall() throws {
        let model = try partial()
        let grid = GoldenGrid.render(
            model, width: DashboardView.minimumWidth - 1, height: DashboardView.minimumHeight - 1)
        try GoldenGrid.check(grid, "too-small")
        #expect(grid.lines.joined().contains("Terminal too small"))
    }

    @Test func overlays() throws {
        let model = try partial()
        var state = DashboardState()
        state.overlay = .help
        try GoldenGrid.check(GoldenGrid.render(model, state: state, width: 80, height: 24), "help-80x24")
        state.overlay = .confirmTrigger
        var unfrozen = model
        unfrozen.triggerPlan = TriggerPlan(
            freezing: false, mounts: [], freezeTimeoutSeconds: 60, scripts: "none (no script configuration is read)")
        try GoldenGrid.check(GoldenGrid.render(unfrozen, state: state, width: 80, height: 24), "confirm-80x24")
        var freezing = model
        freezing.triggerPlan = TriggerPlan(
            freezing: true, mounts: ["/data", "/var/lib/db", "/"], freezeTimeoutSeconds: 45,
            scripts: "pre /opt/pre.sh, post /opt/post.sh (timeout 30 s)")
        let named = GoldenGrid.render(freezing, state: state, width: 80, height: 24)
        try GoldenGrid.check(named, "confirm-freeze-mounts-80x24")
        let text = named.lines.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n")
        #expect(text.contains("Freezes 3 filesystems for at most 45 s:"))
        for mount in ["/data", "/var/lib/db", "/"] { #expect(named.lines.contains { $0.contains("│ - \(mount) ") }) }
        #expect(text.contains("Scripts: pre /opt/pre.sh, post /opt/post.sh (timeout 30 s)"))
        var broken = model
        broken.triggerPlan = .unavailable("--mount /nope: not a mount point (see /proc/self/mountinfo)")
        let refused = GoldenGrid.render(broken, state: state, width: 80, height: 24).lines.joined()
        #expect(refused.contains("Cannot trigger a snapshot") && refused.contains("/nope: not a mount point"))
        #expect(!refused.contains("[y] yes"))
        state.overlay = .confirmQuit
        let quitting = GoldenGrid.render(model, state: state, width: 80, height: 24).lines.joined()
        #expect(quitting.contains("Quit while a job runs?") && quitting.contains("[y] yes"))
        state.overlay = .detail(2)
        try GoldenGrid.check(GoldenGrid.render(model, state: state, width: 80, height: 24), "detail-80x24")
        var withSettings = model
        withSettings.settings =
            #"{"runtimeSettings": [{"handlerSettings": {"protectedSettings": "(encrypted, 36 bytes)","#
            + "\n"
            + #"  "publicSettings": {"statusBlobUri": "https://a.blob.core.windows.net/c/s?sv=1&sig=SECRET"}}}]}"#
        state.overlay = .settings
        let settings = GoldenGrid.render(withSettings, state: state, width: 160, height: 24)
        try GoldenGrid.check(settings, "settings-160x24")
        #expect(settings.lines.joined().contains("sig=REDACTED"))
        #expect(!settings.lines.joined().contains("SECRET"))
        withSettings.jobPlanText = "Mounts frozen, in order:\n  /data  (xfs /dev/sdc1)\n"
        let planned = GoldenGrid.render(withSettings, state: state, width: 160, height: 24).lines
        #expect(planned.contains { $0.contains("Job plan and newest settings, redacted") })
        let rows = planned.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " │")) }
        #expect(
            rows.firstIndex { $0.hasPrefix("/data  (xfs") }! < rows.firstIndex { $0.hasPrefix("Newest settings:") }!,
            "the plan first, then the settings")
        var record = JobResult(
            code: .success, healthStatusCode: .success, status: .success, message: "2 disk snapshot(s) taken",
            disks: [], statusDelivery: .uploaded)
        record.disks = (0..<2).map {
            DiskProgress(
                index: $0, blobURI: "https://a.blob.core.windows.net/c/d\($0)", account: "a", container: "c",
                blob: "d\($0)", state: .succeeded, attempts: 1)
        }
        let ended = GoldenGrid.now.addingTimeInterval(-7200)
        withSettings.history = (
            "/var/lib/waagent/plugin/history.jsonl",
            JobHistory.Contents(
                records: [
                    JobHistoryRecord(
                        taskID: "task-1", sequenceNumber: 4, startedAt: ended.addingTimeInterval(-3), endedAt: ended,
                        result: record, consistency: .fileSystem, machine: nil)
                ], unreadableLines: 0)
        )
        let recent = GoldenGrid.render(withSettings, state: state, width: 160, height: 24).lines
        #expect(recent.contains { $0.contains("Recent jobs, job plan and newest settings, redacted") })
        #expect(recent.contains { $0.contains("SUCCEEDED") && $0.contains("2/2 ok") && $0.contains("task-1") })
        #expect(recent.contains { $0.contains("last good snapshot") && $0.contains("2 h ago") }, "\(recent)")
        state.overlay = .none
        _ = state.update(.key(.character("e")), model: model, now: GoldenGrid.now)
        #expect(
            state.overlay == .explain(["SnapshotCountExceeded", "761"]),
            "the storage error first, never 76's 'every disk'")
        let explain = GoldenGrid.render(model, state: state, width: 80, height: 24)
        try GoldenGrid.check(explain, "explain-80x24")
        #expect(!explain.lines.joined().contains("every disk"))
    }

    @Test func helpIsAsWideAsItsLinesAndWrapsWhenTheTerminalIsNarrower() throws {
        let model = try partial()
        var state = DashboardState()
        state.overlay = .help
        let wide = GoldenGrid.render(model, state: state, width: 120, height: 40)
        try GoldenGrid.check(wide, "help-120x40")
        let narrow = GoldenGrid.render(model, state: state, width: 80, height: 40)
        try GoldenGrid.check(narrow, "help-80x40")
        for grid in [wide, narrow] {
            let text = helpBox(grid).joined(separator: "\n")
            #expect(!text.isEmpty && !text.contains("…"), "no help line is cut")
            let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "│" }).map(String.init)
            for (_, meaning) in OverlayViews.helpLines {
                for word in meaning.split(separator: " ") {
                    #expect(words.contains(String(word)), "'\(word)' of '\(meaning)' is shown")
                }
            }
        }
        let boxWidth = helpBox(wide).first.map(DisplayWidth.of)
        #expect(boxWidth == 19 + OverlayViews.helpLines.map { DisplayWidth.of($0.1) }.max()! + 2)
    }

    /// The help box's rows, cut out of the screen (everything around it is the dashboard behind).
    private func helpBox(_ grid: CellGrid) -> [String] {
        guard let top = grid.lines.firstIndex(where: { $0.contains("Help: keys") }),
            let left = grid.lines[top].firstIndex(of: "┌"), let right = grid.lines[top].firstIndex(of: "┐"),
            let bottom = grid.lines[top...].firstIndex(where: { $0.contains("└") })
        else { return [] }
        let columns = grid.lines[top].distance(from: left, to: right)
        let start = grid.lines[top].distance(from: grid.lines[top].startIndex, to: left)
        return grid.lines[top...bottom].map { String(Array($0)[start...(start + columns)]) }
    }

    @Test func pausedLogWithSearchAndWrap() throws {
        let model = try partial()
        var state = DashboardState()
        state.focus = .log
        state.search.text = "mounts"
        state.logAnchor = 2
        state.wrap = true
        let grid = GoldenGrid.render(model, state: state, width: 60, height: 16)
        try GoldenGrid.check(grid, "log-paused-search-60x16")
        #expect(grid.lines.joined().contains("PAUSED"))
        let highlighted = grid.cells.filter { $0.style.attributes.contains(.underline) && $0.style.role == .accent }
        #expect(highlighted.count == "mounts".count, "the one visible match is highlighted")
    }

    @Test func liveJobWithFreezeWindowTimer() throws {
        var model = try partial()
        let t0 = GoldenGrid.now.addingTimeInterval(-7)
        let disks = model.blob!.disks.map(\.progress)
        var tracker = LiveJobTracker(taskID: "live-task_9", disks: disks, freezeTimeout: 10, startedAt: t0)
        tracker.apply(.started(.freeze, at: t0.addingTimeInterval(1)))
        tracker.apply(
            .ended(.freeze, started: t0.addingTimeInterval(1), ended: t0.addingTimeInterval(1.2), detail: "2 mounts"))
        tracker.apply(.started(.snapshot, at: t0.addingTimeInterval(1.3)))
        model.live = tracker.snapshot
        model.freezeOpenedAt = tracker.freezeOpenedAt
        let grid = GoldenGrid.render(model, width: 100, height: 30)
        try GoldenGrid.check(grid, "live-freeze-warning-100x30")
        #expect(grid.lines[3].contains("FROZEN 6.0 s / 10 s WARNING"))
        let critical = GoldenGrid.render(model, width: 100, height: 30, at: GoldenGrid.now.addingTimeInterval(3))
        #expect(critical.lines[3].contains("FROZEN 9.0 s / 10 s CRITICAL"))
    }
}

@Suite struct DashboardWithoutDataTests {
    @Test func saysWhichSourcesAreMissing() {
        let onlyLog = DashboardModel(
            vmName: "vm", freezeTimeout: 60,
            sources: [SourceFreshness(name: MonitorSourceLocations.logName, staleAfter: 5)])
        let grid = GoldenGrid.render(onlyLog, width: 120, height: 24)
        #expect(grid.lines[1].contains("NO JOB"))
        #expect(grid.lines[4].contains("give --status-blob, --plugin-dir or --config"))
        let withBlob = DashboardModel(
            vmName: "vm", freezeTimeout: 60,
            sources: [SourceFreshness(name: MonitorSourceLocations.statusBlobName, staleAfter: 5)])
        #expect(GoldenGrid.render(withBlob, width: 120, height: 24).lines[4].contains("waiting for the status blob"))
    }
}
