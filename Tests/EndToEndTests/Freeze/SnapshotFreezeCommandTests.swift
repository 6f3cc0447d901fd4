import Core
import Emulator
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `vmsnap snapshot --freeze auto --mount ...` as a process, on loop filesystems, against the emulator.
@Suite(.serialized)
struct SnapshotFreezeCommandTests {
    /// Runs `body` with two fresh loop filesystems, an emulator scenario, a settings file and a private lock.
    private func withJob(
        _ body: (SnapshotScenario, [LoopFilesystem], [String]) async throws -> Void
    ) async throws {
        let filesystems = try LoopFilesystem.create(count: 2)
        defer { filesystems.forEach { $0.remove() } }
        let mounts = try LoopFilesystem.testOwnedMounts(filesystems)
        let scenario = try await SnapshotScenario.start(disks: 2)
        do {
            let settings = scenario.directory.appendingPathComponent("job.settings")
            try scenario.writeSettingsFile(to: settings)
            let arguments =
                [
                    "snapshot", "--settings", settings.path, "--json", "--freeze", "auto", "--freeze-lock",
                    scenario.directory.appendingPathComponent("SafeFreezeLockFile").path,
                    "--status-dir", scenario.statusDirectory, "--log-dir", scenario.logDirectory,
                ] + mounts.flatMap { ["--mount", $0] }
            try await body(scenario, filesystems, arguments)
        } catch {
            try? await scenario.stop()
            throw error
        }
        try await scenario.stop()
    }

    @Test func freezesTheGivenMountsAroundTheSnapshots() async throws {
        try await withJob { scenario, filesystems, arguments in
            let output = try await BuiltBinary.run(arguments)
            #expect(output.status == 0, "\(output.stderr)")
            let finished = try #require(output.stdout.split(separator: "\n").last)
            let event = try #require(try JSONSerialization.jsonObject(with: Data(finished.utf8)) as? [String: Any])
            let result = try #require(event["result"] as? [String: Any])
            #expect(result["code"] as? Int == 1)
            #expect((result["freezeWindowMilliseconds"] as? Double ?? 0) > 0)
            #expect(output.stdout.contains(filesystems[0].mountPoint))
            #expect(scenario.emulator.snapshots(container: scenario.fixture.container, blob: "disk1").count == 1)
        }
    }

    @Test func sigkillOfTheJobWhileFrozenThawsWithinASecond() async throws {
        try await withJob { scenario, filesystems, arguments in
            scenario.emulator.setFaults([FaultRule(operation: .snapshot, action: .latency(ms: 20_000))])
            let job = Process()
            job.executableURL = BuiltBinary.vmsnap
            job.arguments = arguments
            let events = Pipe()
            job.standardOutput = events
            try job.run()
            let lines = LineReader(events.fileHandleForReading)
            var frozen = false
            while !frozen, let line = lines.next() {
                frozen = line.contains("\"stage\":\"freeze\"") && line.contains("\"state\":\"succeeded\"")
            }
            #expect(frozen, "the job did not report a freeze")
            let writers = try filesystems.map { try $0.startWriter() }
            #expect(!writers[0].completed(within: 0.3), "a write went through while frozen")
            kill(job.processIdentifier, SIGKILL)
            #expect(writers.allSatisfy { $0.completed(within: 1) }, "not writable within 1 s of the job's death")
            job.waitUntilExit()
            #expect(job.terminationReason == .uncaughtSignal)
        }
    }
}
