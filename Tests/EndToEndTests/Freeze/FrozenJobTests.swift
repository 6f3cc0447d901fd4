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
                settings: settings, options: SnapshotJobOptions(freezeTimeout: .seconds(2), freezer: freezer))
            let blockedWriter = Task { () -> Bool in
                for await event in job.events {
                    guard case .stageFinished(.freeze, _, true, _) = event else { continue }
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
            #expect(window >= 1000 && window <= 2100, "freeze window \(window) ms for a 2 s freeze timeout")
            #expect(try filesystems.map { try $0.startWriter() }.allSatisfy { $0.completed(within: 5) })
        }
    }

    @Test func cleanScriptsAroundAFreezeGiveAnApplicationConsistentCodeZero() async throws {
        let filesystems = try LoopFilesystem.create(count: 1)
        let scripts = NSTemporaryDirectory() + "vmsnap-e2e-scripts-\(UUID().uuidString)"
        defer {
            filesystems.forEach { $0.remove() }
            try? FileManager.default.removeItem(atPath: scripts)
        }
        let mounts = try LoopFilesystem.testOwnedMounts(filesystems)
        try FileManager.default.createDirectory(atPath: scripts, withIntermediateDirectories: true)
        let pre = scripts + "/pre.sh"
        let post = scripts + "/post.sh"
        try Data("#!/bin/sh\necho quiescing the database\n".utf8).write(to: URL(fileURLWithPath: pre))
        try Data("#!/bin/sh\necho resumed > \"\(scripts)/post-ran\"\n".utf8).write(to: URL(fileURLWithPath: post))
        chmod(pre, 0o700)
        chmod(post, 0o700)
        let config = scripts + "/VMSnapshotScriptPluginConfig.json"
        let fields = ["preScriptLocation": pre, "postScriptLocation": post]
        try JSONSerialization.data(withJSONObject: fields).write(to: URL(fileURLWithPath: config))
        chmod(config, 0o600)

        let scenario = try await SnapshotScenario.start(disks: 1)
        var options = scenario.options()
        options.freezer = GuardedFreezer(
            mounts: mounts, guardExecutable: BuiltBinary.vmsnap.path, lockPath: scripts + "/SafeFreezeLockFile")
        options.scripts = ScriptPlugin(configPath: config)
        let result = await SnapshotJob(settings: try scenario.settings(), options: options).run()
        let log = (try? String(contentsOfFile: scenario.logDirectory + "/extension.log", encoding: .utf8)) ?? ""
        try await scenario.stop()
        #expect(result.code == 0, "\(result.message)")
        #expect(result.freezeWindowMilliseconds != nil)
        #expect(log.contains("quiescing the database"))
        #expect(FileManager.default.fileExists(atPath: scripts + "/post-ran"))
    }
}
