import Core
import Foundation
import TestSupport
import Testing

@testable import TUI

/// The disk detail of host-path jobs: who took the snapshot, the DirectDrive identifier (never its token), the
/// method and why, the host's answers (555-558 explained) and the consistency achieved, as `status --once` has them.
@Suite struct HostPathDetailGoldenTests {
    private func detail(_ fixture: String) throws -> CellGrid {
        let model = try GoldenGrid.model(fixture: fixture)
        var state = DashboardState()
        _ = state.update(.key(.enter), model: model, now: GoldenGrid.now)
        #expect(state.overlay == .detail(0))
        return GoldenGrid.render(model, state: state, width: 100, height: 32)
    }

    /// The value beside `label` in the detail box.
    private static func field(_ label: String, in grid: CellGrid) -> String? {
        let prefix = "│ " + label + " "
        guard let line = grid.lines.first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(prefix) }) else {
            return nil
        }
        return line.trimmingCharacters(in: .whitespaces).dropFirst(prefix.count).trimmingCharacters(
            in: CharacterSet(charactersIn: " │"))
    }

    @Test func aDirectDriveDiskTheHostSnapshotted() throws {
        let grid = try detail("vmsnap-host-directdrive.json")
        try GoldenGrid.check(grid, "host-directdrive-detail-100x32")
        let text = grid.lines.joined(separator: "\n")
        for (label, value) in [
            ("taken by", "the host (backup host service)"),
            ("DirectDrive", "snapshot 6d1f0c2e-7a41-4c55-9e1b-2f0a6c3d8e90, token REDACTED"),
            ("method", "onlyHost (forced by disk type: includedDisks.isAnyDirectDriveDiskIncluded)"),
            ("presnapshot", "200"), ("dosnapshot", "200"), ("consistency", "filesystem-consistent"),
        ] {
            #expect(Self.field(label, in: grid) == value, "\(label)\n\(text)")
        }
        #expect(!text.contains("S3cr3t"), "the DirectDrive token never shows")
    }

    @Test func theHostsAnswer556ExplainedBeforeTheGuestTookOver() throws {
        let grid = try detail("vmsnap-host-556-then-guest.json")
        try GoldenGrid.check(grid, "host-556-then-guest-detail-100x32")
        let text = grid.lines.joined(separator: "\n")
        #expect(Self.field("taken by", in: grid) == "the guest (vmsnap)", "\(text)")
        #expect(Self.field("method", in: grid) == "firstHostThenGuest (default)", "\(text)")
        #expect(
            Self.field("presnapshot", in: grid)
                == "556: the WireServer answered 500 but its backup host service is not running", "\(text)")
        #expect(!text.contains("dosnapshot"), "the host was asked once")
    }
}
