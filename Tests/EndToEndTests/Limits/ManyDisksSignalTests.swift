import Emulator
import Foundation
import TestSupport
import Testing

/// SIGTERM holds whatever the input size: a job of 4,096 disks whose snapshots never answer ends with code 2 and a
/// terminal status once terminated (with 20,000 disks the terminal status came 386 s after SIGTERM).
@Suite struct ManyDisksSignalTests {
    @Test func sigtermEndsAJobOf4096DisksWithATerminalStatus() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        scenario.emulator.setFaults([FaultRule(operation: .snapshot, action: .neverAnswer)])
        let settings = try scenario.writeSettingsFile(
            to: scenario.directory.appendingPathComponent("0.settings"),
            disks: Array(repeating: scenario.diskURIs[0], count: 4096))
        let process = Process()
        process.executableURL = BuiltBinary.vmsnap
        process.arguments = [
            "snapshot", "--settings", settings.path, "--status-dir", scenario.statusDirectory, "--log-dir",
            scenario.logDirectory, "--json",
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let lines = LineReader(output.fileHandleForReading)
        let snapshotStarted = lines.next(containing: #""stage":"snapshot""#)
        #expect(snapshotStarted != nil, "the snapshot stage never started")
        process.terminate()
        let finished = lines.next(containing: #""event":"finished""#)
        process.waitUntilExit()
        #expect(finished?.contains(#""code":2"#) == true, "\(finished ?? "no finished event")")
        #expect(process.terminationStatus == 1)
        let statusFile = try String(contentsOfFile: scenario.statusDirectory + "/0.status", encoding: .utf8)
        #expect(statusFile.contains(#""code":2"#) && statusFile.contains(#""status":"error""#))
    }
}
