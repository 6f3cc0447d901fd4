import Core
import Foundation
import TestSupport
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

/// The summary and report `vmsnap config validate` prints, built in Core.
@Suite struct ConfigValidatorTests {
    let directory: URL

    init() throws { directory = try SettingsFixtures.temporaryDirectory("validator") }

    @Test func seedSummaryInsideItsWindow() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try SettingsFixtures.write(
            SettingsFixtures.seedARMResource, to: directory.appendingPathComponent("seed.json"))
        let report = ConfigValidator.validate(path: file.path, environment: [:], now: SettingsFixtures.seedValidAt)
        #expect(report.valid)
        #expect(report.kind == .settings)
        let summary = try #require(report.settings)
        #expect(summary.form == "ARM resource")
        #expect(summary.taskId == SettingsFixtures.seedTaskID)
        #expect(summary.commandStartTime == "2017-11-09T04:53:20Z")
        #expect(summary.ageSeconds == 36_400)
        #expect(summary.disks.count == 5)
        #expect(summary.disks[4].expiresInSeconds == 9508)
        #expect(summary.statusBlob?.blobUri.hasSuffix("sopattna-vmubuntu1404ltsc.v2.Status.txt") == true)
        let text = report.text()
        #expect(text.contains("start time   2017-11-09T04:53:20Z (ticks 6.36458E+17), 10h 6m ago\n"))
        #expect(
            text.contains(
                "  disk 0: sopattna5365 / vhds / vmwin1404ltsc201652903941.vhd  sp=rw  expires 2017-11-09T17:38:28Z (in 2h 38m)\n"
            ))
        #expect(
            text.contains("warning: the job was scheduled 10h 6m ago; a snapshot started now would fail with code 402"))
        #expect(text.hasSuffix("valid\n"))
        #expect(!text.contains("sig=") || text.contains("sig=REDACTED"))
    }

    @Test func jsonRoundTripsAndCarriesNoSignature() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try SettingsFixtures.write(
            SettingsFixtures.seedARMResource, to: directory.appendingPathComponent("seed.json"))
        let report = ConfigValidator.validate(path: file.path, environment: [:], now: Date())
        let json = report.json()
        let decoded = try JSONDecoder().decode(ValidationReport.self, from: Data(json.utf8))
        #expect(!decoded.valid)
        #expect(decoded.errors.count == 7)
        #expect(decoded.errors == report.errors)
        #expect(decoded.resultCode == 11)
        #expect(
            report.text().hasSuffix(
                "a job would end with code 11 error_parameter: bad command or missing/invalid settings\n"))
        #expect(!Redactor.containsSignature(json))
        #expect(!json.contains("TywkROXL1zvhXcLujtCut8g3jTpgbE6JpSWRLZxAdtA"))
    }

    @Test func unreadableInputHasNoKind() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("garbage.json")
        try Data("not json at all".utf8).write(to: file)
        let report = ConfigValidator.validate(path: file.path, now: Date())
        #expect(report.kind == nil)
        #expect(report.text().contains("invalid \(file.path): 1 error\n  \(file.path): $: expected JSON"))
    }

    @Test func configurationWithStatusBlobNeedsReadPermission() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let uri = "https://acct.blob.core.windows.net/status/s.txt?sp=w&se=2099-01-01T00:00:00Z&sig=abc"
        let file = try SettingsFixtures.write(
            ["statusBlob": uri, "logDirectory": directory.path, "pluginDirectory": directory.path],
            to: directory.appendingPathComponent("vmsnap.json"))
        let report = ConfigValidator.validate(path: file.path, now: Date())
        #expect(report.kind == .configuration)
        #expect(report.errors.map(\.expected) == ["permissions with 'r' for status polling"])
        #expect(report.warnings.isEmpty)
        #expect(report.resultCode == nil)
        #expect(report.configuration?.statusBlob == "https://acct.blob.core.windows.net/status/s.txt")
        #expect(report.configuration?.resolvedPluginDirectory == directory.path)
    }

    @Test func intervals() {
        #expect(ValidationReport.interval(42) == "42s")
        #expect(ValidationReport.interval(-125) == "2m")
        #expect(ValidationReport.interval(3 * 3600 + 20 * 60) == "3h 20m")
        #expect(ValidationReport.interval(9 * 86_400 + 4 * 3600 + 59) == "9d 4h")
    }
}
