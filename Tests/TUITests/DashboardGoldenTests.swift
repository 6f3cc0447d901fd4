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

    @Test(arguments: [
        StatusDocumentFixtures.success, StatusDocumentFixtures.partialFailure, StatusDocumentFixtures.stuckAtCode4,
        StatusDocumentFixtures.freezeFailure,
    ])
    func ourDocuments(fixture: String) throws {
        let model = try GoldenGrid.model(fixture: fixture)
        let name = fixture.replacingOccurrences(of: ".json", with: "")
        try GoldenGrid.check(GoldenGrid.render(model, width: 100, height: 30), "\(name)-100x30")
    }
}
