import Core
import Foundation
import TestSupport
import Testing

@testable import TUI

/// The fleet screen's rows as one poll cycle makes them: documents in every verdict, a VM without a status blob, an
/// unreadable blob, and a VM whose polls fail after an earlier read.
enum FleetFixture {
    static let now = GoldenGrid.now

    static func row(_ name: String, fixture: String, readSecondsAgo: TimeInterval = 3) throws -> FleetRow {
        let job = try StatusDocumentReader.read(
            StatusDocumentFixtures.data(fixture), origin: .statusBlob, source: fixture)
        var row = FleetRow(
            name: name, statusBlob: "https://acct.blob.core.windows.net/status/\(name)", job: job, now: now)
        row.read = freshness(readSecondsAgo: readSecondsAgo)
        return row
    }

    static func freshness(readSecondsAgo: TimeInterval) -> SourceFreshness {
        var read = SourceFreshness(name: MonitorSourceLocations.statusBlobName, staleAfter: 92)
        read.recordSuccess(at: now.addingTimeInterval(-readSecondsAgo))
        return read
    }

    static func model() throws -> FleetModel {
        var failing = try row("db-07", fixture: StatusDocumentFixtures.success, readSecondsAgo: 95)
        failing.read.recordFailure("403 AuthenticationFailed", at: now.addingTimeInterval(-60))
        var unreadable = FleetRow(
            name: "web-03", statusBlob: "https://acct.blob.core.windows.net/status/web-03",
            error: "503 ServerBusy")
        unreadable.read.recordFailure("503 ServerBusy", at: now.addingTimeInterval(-5))
        var missing = FleetRow(
            name: "new-vm", statusBlob: "https://acct.blob.core.windows.net/status/new-vm", error: nil)
        missing.read = freshness(readSecondsAgo: 3)
        let rows = [
            try row("app-01", fixture: StatusDocumentFixtures.success),
            try row("app-02", fixture: StatusDocumentFixtures.partialFailure),
            try row("batch-11", fixture: StatusDocumentFixtures.stuckAtCode4),
            try row("peer-05", fixture: StatusDocumentFixtures.peerFreezeFailure),
            try row("old-09", fixture: StatusDocumentFixtures.success, readSecondsAgo: 200),
            failing, unreadable, missing,
        ]
        var model = FleetModel(inventory: "vms.txt", interval: 30)
        model.record(rows, startedAt: now.addingTimeInterval(-4), finishedAt: now.addingTimeInterval(-3.59))
        return model
    }

    static func render(_ model: FleetModel, state: FleetState = FleetState(), width: Int, height: Int) -> CellGrid {
        var grid = CellGrid(width: width, height: height)
        FleetView.render(model, state: state, into: &grid, context: GoldenGrid.context())
        return grid
    }
}

@Suite struct FleetGoldenTests {
    @Test func everyRowWorstFirstWithItsFreshness() throws {
        let model = try FleetFixture.model()
        let grid = FleetFixture.render(model, width: 140, height: 20)
        try GoldenGrid.check(grid, "fleet-140x20")
        let text = grid.lines.joined(separator: "\n")
        #expect(
            text.contains("poll failing since 03:06:09 UTC (403 AuthenticationFailed); as read 03:05:34 UTC"), "\(text)"
        )
        #expect(grid.lines.contains { $0.contains("old-09") && $0.contains("STALE 3 min") })
        #expect(grid.lines.contains { $0.contains("web-03") && $0.contains("UNREADABLE") && $0.contains("FAILING") })
    }

    @Test func narrowFilteredWithASearch() throws {
        let model = try FleetFixture.model()
        var state = FleetState()
        _ = state.update(.key(.character("l")), model: model, now: FleetFixture.now)
        for key: Key in [.character("/"), .character("a"), .character("p"), .character("p"), .enter] {
            _ = state.update(.key(key), model: model, now: FleetFixture.now)
        }
        let grid = FleetFixture.render(model, state: state, width: 80, height: 16)
        try GoldenGrid.check(grid, "fleet-attention-search-80x16")
        #expect(grid.lines.allSatisfy { DisplayWidth.of($0) == 80 })
    }

    @Test func helpAndTooSmall() throws {
        let model = try FleetFixture.model()
        var state = FleetState()
        _ = state.update(.key(.character("?")), model: model, now: FleetFixture.now)
        try GoldenGrid.check(FleetFixture.render(model, state: state, width: 100, height: 24), "fleet-help-100x24")
        let small = FleetFixture.render(model, width: 50, height: 10)
        #expect(small.lines.joined().contains("Terminal too small"))
    }

    @Test func beforeTheFirstCycle() throws {
        let grid = FleetFixture.render(FleetModel(inventory: "vms.txt", interval: 30), width: 80, height: 12)
        let text = grid.lines.joined(separator: "\n")
        #expect(text.contains("first poll cycle running") && text.contains("reading the status blobs"), "\(text)")
    }
}

@Suite struct FleetStateTests {
    let now = FleetFixture.now

    private func names(_ state: FleetState, _ model: FleetModel) -> [String] {
        state.visibleRows(model, now: now).map(\.name)
    }

    @Test func rowsAreWorstFirst() throws {
        let model = try FleetFixture.model()
        #expect(
            names(FleetState(), model) == [
                "batch-11", "app-02", "peer-05", "app-01", "db-07", "old-09", "web-03", "new-vm",
            ])
    }

    @Test func theFilterCyclesAllAttentionFailingAll() throws {
        let model = try FleetFixture.model()
        var state = FleetState()
        _ = state.update(.key(.character("l")), model: model, now: now)
        #expect(state.filter == .attention)
        #expect(names(state, model) == ["batch-11", "app-02", "peer-05", "db-07", "old-09", "web-03"])
        _ = state.update(.key(.character("l")), model: model, now: now)
        #expect(names(state, model) == ["batch-11", "app-02", "peer-05", "web-03"])
        _ = state.update(.key(.character("l")), model: model, now: now)
        #expect(state.filter == .all && names(state, model).count == 8)
    }

    @Test func theSearchMatchesCausesToo() throws {
        let model = try FleetFixture.model()
        var state = FleetState()
        state.search.text = "SnapshotCount"
        #expect(state.searchMatches(state.visibleRows(model, now: now)) == [1], "app-02's cause")
    }

    @Test func searchSelectsTheFirstMatchAndNWraps() throws {
        let model = try FleetFixture.model()
        var state = FleetState()
        let typed: [Key] = [.character("/"), .character("A"), .character("P"), .character("p"), .character("-")]
        for key in typed + [.character("x"), .backspace, .enter] {
            #expect(state.update(.key(key), model: model, now: now) == nil)
        }
        #expect(state.search.text == "APp-" && state.selectedName == "app-02", "the first match, worst first")
        #expect(state.searchMatches(state.visibleRows(model, now: now)) == [1, 3])
        _ = state.update(.key(.character("n")), model: model, now: now)
        #expect(state.selectedName == "app-01")
        _ = state.update(.key(.character("n")), model: model, now: now)
        #expect(state.selectedName == "app-02", "wraps around")
        _ = state.update(.key(.character("N")), model: model, now: now)
        #expect(state.selectedName == "app-01")
        _ = state.update(.key(.escape), model: model, now: now)
        _ = state.update(.key(.character("n")), model: model, now: now)
        #expect(state.toast?.text == "no search: press / first")
    }

    @Test func theSelectionFollowsItsVMWhenANewCycleResorts() throws {
        var model = try FleetFixture.model()
        var state = FleetState()
        _ = state.update(.key(.down), model: model, now: now)
        _ = state.update(.key(.down), model: model, now: now)
        #expect(state.selectedName == "peer-05")
        let rows = model.rows.map { row in
            guard row.name == "app-01" else { return row }
            var stuck = row
            stuck.verdict = .stuck
            return stuck
        }
        model.record(rows, startedAt: now, finishedAt: now)
        let visible = state.visibleRows(model, now: now)
        #expect(visible.first?.name == "app-01")
        #expect(state.selectedIndex(in: visible).map { visible[$0].name } == "peer-05")
    }

    @Test func aCycleLongerThanTheIntervalSaysSo() throws {
        var model = FleetModel(inventory: "vms.txt", interval: 30)
        model.record([], startedAt: now, finishedAt: now.addingTimeInterval(12))
        #expect(model.notice == nil)
        model.record([], startedAt: now, finishedAt: now.addingTimeInterval(45))
        #expect(
            model.notice?.text
                == "the poll cycle took 45 s, longer than the 30 s interval: raise --interval or --concurrency")
        var state = FleetState()
        _ = state.update(.notice(model.notice!.text, model.notice!.role), model: model, now: now)
        let grid = FleetFixture.render(model, state: state, width: 140, height: 14)
        let text = grid.lines.joined(separator: "\n")
        #expect(text.contains("took 45 s") && text.contains("no VMs: the inventory (vms.txt) lists none"), "\(text)")
    }

    @Test func enterOpensTheSelectedVMAndQQuits() throws {
        let model = try FleetFixture.model()
        var state = FleetState()
        _ = state.update(.key(.end), model: model, now: now)
        #expect(state.update(.key(.enter), model: model, now: now) == .open("new-vm"))
        _ = state.update(.key(.character("?")), model: model, now: now)
        #expect(state.update(.key(.character("q")), model: model, now: now) == nil, "q closes the help first")
        #expect(state.update(.key(.character("q")), model: model, now: now) == .quit)
        var empty = FleetState()
        #expect(empty.update(.key(.enter), model: FleetModel(inventory: "x", interval: 1), now: now) == nil)
    }
}
