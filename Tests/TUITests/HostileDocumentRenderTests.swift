import Core
import Foundation
import TestSupport
import Testing

@testable import TUI

/// The dashboard renders documents carrying values no job writes, and text that would act on a terminal, without
/// trapping and without passing a control character to the screen.
@Suite struct HostileDocumentRenderTests {
    private func model(blob data: Data) throws -> DashboardModel {
        var model = try GoldenGrid.model(fixture: StatusDocumentFixtures.peerStatusBlob)
        model.blob = try StatusDocumentReader.read(data, origin: .statusBlob, source: "status blob")
        return model
    }

    /// `monitor` died with SIGILL on these timestamps.
    @Test(arguments: HostileInputs.timestamps) func implausibleTimestamps(_ timestamp: String) throws {
        let model = try model(blob: try HostileInputs.peerStatusBlob(timestamp: timestamp))
        for (width, height) in [(80, 24), (200, 60)] {
            let grid = GoldenGrid.render(model, width: width, height: height)
            #expect(grid.lines.joined().contains("SUCCEEDED"))
        }
    }

    /// Values made in code rather than read (dates, durations, counts at their extremes) still render.
    @Test(arguments: [1e30, -1e30, .nan, .infinity, 1e300]) func extremeValuesInTheModel(_ value: Double) throws {
        var model = try GoldenGrid.model(fixture: StatusDocumentFixtures.partialFailure)
        model.blob?.timestamp = Date(timeIntervalSince1970: value)
        model.blob?.freezeWindowSeconds = value
        model.blob?.disks[0].progress.latencyMilliseconds = value
        model.blob?.disks[0].progress.attempts = .max
        model.blob?.disks[0].progress.state = .retrying
        var phases = model.blob?.phases ?? []
        for index in phases.indices { phases[index].elapsedSeconds = value }
        model.blob?.phases = phases
        model.source("status blob") { $0.recordSuccess(at: Date(timeIntervalSince1970: value)) }
        var state = DashboardState()
        for overlay in [Overlay.none, .detail(0), .explain(["76", "SnapshotCountExceeded"])] {
            state.overlay = overlay
            let grid = GoldenGrid.render(model, state: state, width: 120, height: 40)
            #expect(grid.lines.count == 40)
        }
        #expect(RenderContext.fixed(value, digits: 2).isEmpty == false)
    }

    /// Escape sequences and bidi controls in a status document's message, notes, disk names and log lines are shown
    /// as visible escapes.
    @Test(arguments: HostileInputs.terminalPayloads) func terminalPayloadsAreShownNotActedOn(_ payload: String) throws {
        var model = try GoldenGrid.model(fixture: StatusDocumentFixtures.partialFailure)
        model.blob?.message = "failed \(payload) here"
        model.blob?.disks[0].progress.blob = "disk\(payload)"
        model.blob?.disks[1].progress.errorCode = "Code\(payload)"
        model.appendLog([LogLine.parse("2026-11-25 03:07:00.000000 [x-1]log \(payload) line", localZone: .utc)])
        for overlay in [Overlay.none, .detail(0)] {
            var state = DashboardState()
            state.overlay = overlay
            let grid = GoldenGrid.render(model, state: state, width: 200, height: 60)
            let text = grid.lines.joined(separator: "\n")
            #expect(!HostileInputs.actsOnTerminal(text), "\(text.debugDescription)")
            #expect(text.contains("\\x") || text.contains("\\u{"), "the payload is shown as escapes")
        }
    }
}
