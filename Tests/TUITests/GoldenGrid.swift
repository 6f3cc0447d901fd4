import Core
import Foundation
import TestSupport
import Testing

@testable import TUI

/// Compares rendered grids with text goldens under Tests/TUITests/Golden (`UPDATE_GOLDENS=1` rewrites them).
enum GoldenGrid {
    static let directory = BuiltBinary.packageRoot.appendingPathComponent("Tests/TUITests/Golden")
    /// A fixed clock for every golden: 2026-11-25 03:07:09 UTC, three seconds after the documents were written.
    static let now = Date(timeIntervalSince1970: 1_795_576_029)

    static func context(ascii: Bool = false, at now: Date = now) -> RenderContext {
        RenderContext(now: now, glyphs: ascii ? .ascii : .unicode, zone: .utc, explain: CodeExplanation.lookup)
    }

    static func render(
        _ model: DashboardModel, state: DashboardState = DashboardState(), width: Int, height: Int,
        ascii: Bool = false, at now: Date = now
    ) -> CellGrid {
        var grid = CellGrid(width: width, height: height, asciiOnly: ascii)
        DashboardView.render(model, state: state, into: &grid, context: context(ascii: ascii, at: now))
        return grid
    }

    /// Checks the grid's text against `Golden/<name>.txt`.
    static func check(_ grid: CellGrid, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let text = grid.lines.joined(separator: "\n") + "\n"
        let url = directory.appendingPathComponent("\(name).txt")
        if ProcessInfo.processInfo.environment["UPDATE_GOLDENS"] == "1" {
            try text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(text == expected, "grid differs from Golden/\(name).txt", sourceLocation: sourceLocation)
    }

    /// A model holding one fixture document as the status blob, plus a short log.
    static func model(fixture: String, origin: JobSnapshot.Origin = .statusBlob) throws -> DashboardModel {
        var model = DashboardModel(
            vmName: "backup-vm-01", freezeTimeout: 10,
            sources: [
                SourceFreshness(name: "status blob", staleAfter: 10),
                SourceFreshness(name: "status file", staleAfter: 60),
                SourceFreshness(name: "log", staleAfter: 60),
            ], canTrigger: true)
        let snapshot = try StatusDocumentReader.read(
            StatusDocumentFixtures.data(fixture), origin: origin, source: fixture,
            sequenceNumber: origin == .statusFile ? 12 : nil)
        if origin == .statusFile { model.file = snapshot } else { model.blob = snapshot }
        model.source("status blob") { $0.recordSuccess(at: now.addingTimeInterval(-3)) }
        model.source("status file") { $0.recordSuccess(at: now.addingTimeInterval(-2)) }
        model.source("log") { $0.recordSuccess(at: now.addingTimeInterval(-1)) }
        model.appendLog(sampleLog.map { LogLine.parse($0, localZone: .utc) })
        return model
    }

    static let sampleLog = [
        "2026-11-25 03:07:00.032948 [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9184.0]job accepted, taskId 9b0f7887",
        "2026-11-25 03:07:01.100000 [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9184.0]preconnect to acct.blob.core.windows.net",
        "2026-11-25 03:07:02.500000 [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9184.0]freeze: 2 mounts frozen",
        "2026/11/25 03:07:03 [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9184.0] snapshot disk1.vhd: 503 ServerBusy, retry 2",
        "2026-11-25 03:07:04.600000 [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9184.0]thaw: all mounts thawed",
        "2026-11-25 03:07:06.000000 [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9184.0]status uploaded (code 1)",
    ]
}
