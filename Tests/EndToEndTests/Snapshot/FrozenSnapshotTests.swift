import Core
import Foundation
import TestSupport
import Testing

/// A whole job that freezes real ext4 loop filesystems around the snapshots.
@Suite(.serialized) struct FrozenSnapshotTests {
    @Test func frozenJobIsFilesystemConsistentAndLogsOnlyAfterThaw() async throws {
        let filesystems = try LoopFilesystem.create(count: 2)
        let lockDirectory = NSTemporaryDirectory() + "vmsnap-engine-lock-\(UUID().uuidString)"
        defer {
            filesystems.forEach { $0.remove() }
            try? FileManager.default.removeItem(atPath: lockDirectory)
        }
        let scenario = try await SnapshotScenario.start(disks: 3)
        defer { Task { try await scenario.stop() } }
        var options = scenario.options()
        options.freezer = GuardedFreezer(
            mounts: try LoopFilesystem.testOwnedMounts(filesystems), guardExecutable: BuiltBinary.vmsnap.path,
            lockPath: lockDirectory + "/SafeFreezeLockFile")
        // A bound, not a duration: generous, so that a loaded machine (16 suites at once) still gets its snapshots in.
        options.freezeTimeout = .seconds(30)
        let job = SnapshotJob(settings: try scenario.settings(), options: options)
        let logPath = scenario.logDirectory + "/extension.log"
        // While frozen, the freeze stage's own log line must still be in memory only.
        let heldWhileFrozen = Task { () -> Bool? in
            for await event in job.events {
                guard event.isStage(.freeze, .succeeded) else { continue }
                let file = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                return !file.contains("]freeze: froze")
            }
            return nil
        }
        let result = await job.run()
        #expect(result.code == 1, "\(result.message)")
        #expect(result.message.contains("filesystem-consistent"))
        #expect(result.disks.allSatisfy { $0.state == .succeeded })
        #expect(result.freezeWindowMilliseconds != nil)
        #expect(await heldWhileFrozen.value == true)
        let log = try String(contentsOfFile: logPath, encoding: .utf8)
        #expect(log.contains("]freeze: froze"))
        #expect(log.contains("]thaw: freeze window"))
        let document = try #require(try scenario.statusDocument())
        let telemetry = Dictionary(uniqueKeysWithValues: document.status.telemetryData.map { ($0.key, $0.value) })
        #expect(telemetry["FreezeTime"] != nil && telemetry["ThawTime"] != nil)
        #expect(telemetry["consistencyType"] == "filesystem")
        #expect(try filesystems.map { try $0.startWriter() }.allSatisfy { $0.completed(within: 5) })
    }
}
