import Core
import Foundation
import TestSupport
import Testing

/// Inputs beyond sane bounds are refused with a clear error, and the job still ends with a terminal status.
@Suite struct InputLimitTests {
    /// 20,000 disks kept a job busy past the agent's 300 s: more than 4,096 are refused before any work.
    @Test func moreThan4096DisksAreRefusedWithATerminalStatus() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let file = try scenario.writeSettingsFile(
            to: scenario.directory.appendingPathComponent("0.settings"),
            disks: Array(repeating: scenario.diskURIs[0], count: 4097))
        #expect {
            try SettingsLoader.load(path: file.path)
        } throws: { error in
            "\(error)".contains("expected at most 4096 disk SAS URIs (a VM has far fewer disks), found 4097")
        }
        let result = await SnapshotJob.load(settingsPath: file.path, options: scenario.options()).run()
        #expect(result.code == 11)
        #expect(result.statusUploaded)
        #expect(try scenario.statusDocument()?.status.code == "11")
        #expect(scenario.emulator.journal().filter { $0.operation == .snapshot }.isEmpty)
    }

    @Test func exactly4096DisksAreAccepted() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let file = try scenario.writeSettingsFile(
            to: scenario.directory.appendingPathComponent("0.settings"),
            disks: Array(repeating: scenario.diskURIs[0], count: 4096))
        #expect(try SettingsLoader.load(path: file.path).disks.count == 4096)
    }

    @Test func aSettingsFileOver16MiBIsRefusedBeforeItIsRead() throws {
        let directory = try SettingsFixtures.temporaryDirectory("limits")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("0.settings")
        try Data(repeating: UInt8(ascii: " "), count: 17 << 20).write(to: file)
        #expect {
            try SettingsLoader.load(path: file.path)
        } throws: { error in
            "\(error)".contains("expected a file of at most 16 MiB, found 17825792 bytes")
        }
    }
}
