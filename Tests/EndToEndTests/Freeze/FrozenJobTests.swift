import Core
import Emulator
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Snapshot jobs that freeze real ext4 loop filesystems while talking to the emulator.
@Suite(.serialized)
struct FrozenJobTests {
    @Test func aSnapshotThatNeverAnswersIsCutAtTheFreezeDeadlineAndReported() async throws {
        let filesystems = try LoopFilesystem.create(count: 2)
        let lockDirectory = NSTemporaryDirectory() + "vmsnap-e2e-lock-\(UUID().uuidString)"
        defer {
            filesystems.forEach { $0.remove() }
            try? FileManager.default.removeItem(atPath: lockDirectory)
        }
        let mounts = try LoopFilesystem.testOwnedMounts(filesystems)
        try await EmulatorFixture.run(pageBlobs: 2) { fixture in
            fixture.emulator.setFaults([FaultRule(operation: .snapshot, action: .neverAnswer)])
            let freezer = GuardedFreezer(
                mounts: mounts, guardExecutable: BuiltBinary.vmsnap.path,
                lockPath: lockDirectory + "/SafeFreezeLockFile")
            let settings = JobSettings(
                taskID: "never-answers", command: "snapshot", disks: try fixture.pageBlobURIs.map(SASBlobURI.init),
                source: "test")
            let job = SnapshotJob(
                settings: settings, options: SnapshotJobOptions(freezeTimeout: .seconds(4), freezer: freezer))
            let blockedWriter = Task { () -> Bool in
                for await event in job.events {
                    guard event.isStage(.freeze, .succeeded) else { continue }
                    let writer = try filesystems[0].startWriter()
                    let blocked = !writer.completed(within: 0.3)
                    return blocked && writer.completed(within: 5)
                }
                return false
            }
            let result = await job.run()
            #expect(try await blockedWriter.value, "no writer blocked during the freeze and completed after it")
            #expect(result.code == 76, "every disk's snapshot failed: \(result.message)")
            #expect(result.disks.allSatisfy { $0.state == .failed })
            let window = try #require(result.freezeWindowMilliseconds)
            // Retries stop 0.4 s before the 4 s freeze timeout; the guard thaws at 4 s at the latest (plus however
            // long a loaded machine takes to schedule it).
            #expect(window >= 2000 && window <= 5000, "freeze window \(window) ms for a 4 s freeze timeout")
            #expect(try filesystems.map { try $0.startWriter() }.allSatisfy { $0.completed(within: 5) })
        }
    }

    /// Writes root-owned pre/post scripts and a mode-600 config in `directory`; returns the config's path.
    private func writeScripts(in directory: String, pre: String, post: String, fields: [String: Any] = [:]) throws
        -> String
    {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, body) in [("pre.sh", pre), ("post.sh", post)] {
            try Data("#!/bin/sh\n\(body)\n".utf8).write(to: URL(fileURLWithPath: directory + "/" + name))
            chmod(directory + "/" + name, 0o700)
        }
        let config = directory + "/VMSnapshotScriptPluginConfig.json"
        let all = fields.merging(
            ["preScriptLocation": directory + "/pre.sh", "postScriptLocation": directory + "/post.sh"]) { $1 }
        try JSONSerialization.data(withJSONObject: all).write(to: URL(fileURLWithPath: config))
        chmod(config, 0o600)
        return config
    }

    /// Writes the scripts and their config in a fresh folder, runs one job with them and a guarded freeze of one
    /// fresh loop filesystem, and removes everything; `body` gets the result, extension.log, the snapshot count and
    /// the folder.
    private func runJob(
        pre: String, post: (String) -> String, fields: [String: Any] = [:],
        _ body: (JobResult, _ log: String, _ snapshots: Int, _ folder: String) throws -> Void
    ) async throws {
        let folder = NSTemporaryDirectory() + "vmsnap-e2e-scripts-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try writeScripts(in: folder, pre: pre, post: post(folder), fields: fields)
        let (result, log, snapshots) = try await runJob(config: config, lockDirectory: folder)
        try body(result, log, snapshots, folder)
    }

    /// Runs one job with scripts from `config` and a guarded freeze of one fresh loop filesystem.
    private func runJob(config: String, lockDirectory: String) async throws -> (JobResult, log: String, blobs: Int) {
        let filesystems = try LoopFilesystem.create(count: 1)
        defer { filesystems.forEach { $0.remove() } }
        let scenario = try await SnapshotScenario.start(disks: 1)
        var options = scenario.options()
        options.freezer = GuardedFreezer(
            mounts: try LoopFilesystem.testOwnedMounts(filesystems), guardExecutable: BuiltBinary.vmsnap.path,
            lockPath: lockDirectory + "/SafeFreezeLockFile")
        options.scripts = ScriptPlugin(configPath: config)
        let result = await SnapshotJob(settings: try scenario.settings(), options: options).run()
        let log = (try? String(contentsOfFile: scenario.logDirectory + "/extension.log", encoding: .utf8)) ?? ""
        let snapshots = scenario.emulator.snapshots(container: scenario.fixture.container, blob: "disk0").count
        try await scenario.stop()
        return (result, log, snapshots)
    }

    @Test func cleanScriptsAroundAFreezeGiveAnApplicationConsistentCodeZero() async throws {
        try await runJob(pre: "echo quiescing the database", post: { "echo resumed > \"\($0)/post-ran\"" }) {
            result, log, snapshots, folder in
            #expect(result.code == 0, "\(result.message)")
            #expect(result.freezeWindowMilliseconds != nil)
            #expect(snapshots == 1)
            #expect(log.contains("quiescing the database"))
            #expect(log.contains("]thaw: freeze window"))
            #expect(log.contains("; RCU grace periods expedited"), "the thaw line does not say how FIFREEZE ran")
            #expect(FileManager.default.fileExists(atPath: folder + "/post-ran"))
        }
    }

    @Test func aFailingPreScriptThatStopsTheBackupStillRunsThePostScript() async throws {
        try await runJob(
            pre: "echo cannot quiesce >&2; exit 2", post: { "echo resumed > \"\($0)/post-ran\"" },
            fields: ["continueBackupOnFailure": false]
        ) { result, log, snapshots, folder in
            #expect(result.code == 300, "\(result.message)")
            #expect(result.freezeWindowMilliseconds == nil, "nothing may be frozen after a failed pre-script")
            #expect(snapshots == 0)
            #expect(log.contains("cannot quiesce"))
            #expect(FileManager.default.fileExists(atPath: folder + "/post-ran"))
        }
    }

    @Test func fsFreezeEnabledFalseSnapshotsWithoutFreezing() async throws {
        try await runJob(pre: "echo pre", post: { _ in "echo post" }, fields: ["fsFreezeEnabled": false]) {
            result, _, snapshots, _ in
            #expect(result.freezeWindowMilliseconds == nil, "fsFreezeEnabled false must not freeze")
            #expect(snapshots == 1)
            // The scripts alone make the snapshot consistent: application-consistent, code 0.
            #expect(result.code == 0, "\(result.message)")
            #expect(result.message.contains("application-consistent"))
        }
    }
}
