import Foundation
import TestSupport
import Testing

/// A job with many disks under a small descriptor limit: connections are bounded, running out of descriptors is an
/// error with a terminal status, never a trap.
@Suite struct DescriptorLimitTests {
    /// 1,500 disk URIs (one host) under `ulimit -n 256`: pre-connecting opened one connection per disk at once,
    /// and under the agent's usual `ulimit -n 1024` a 20,000-disk job died with SIGILL, writing no terminal status.
    @Test func manyDisksUnderASmallDescriptorLimitEndWithATerminalStatus() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let settings = try scenario.writeSettingsFile(
            to: scenario.directory.appendingPathComponent("0.settings"),
            disks: Array(repeating: scenario.diskURIs[0], count: 1500))
        let command = [
            BuiltBinary.vmsnap.path, "snapshot", "--settings", settings.path, "--status-dir",
            scenario.statusDirectory, "--log-dir", scenario.logDirectory, "--json",
        ].map { "'\($0)'" }.joined(separator: " ")
        let output = try await ProcessOutput.run(
            URL(fileURLWithPath: "/bin/sh"), ["-c", "ulimit -n 256 && exec \(command)"])
        #expect([0, 1].contains(output.status), "killed or crashed: \(output.status) \(output.stderr.suffix(2000))")
        let statusFile = try String(contentsOfFile: scenario.statusDirectory + "/0.status", encoding: .utf8)
        #expect(!statusFile.contains(#""status":"transitioning""#), "no terminal status: \(statusFile.prefix(500))")
        #expect(output.stdout.contains(#""event":"finished""#))
    }
}
