import Core
import Foundation
import Synchronization
import TestSupport
import Testing

/// A script runner double recording what the engine asked for (the real plugin has its own tests).
final class RecordingScripts: ScriptRunner {
    let freezeEnabled: Bool
    let pre: ScriptOutcome
    let post: ScriptOutcome
    /// How long the post-script takes; when not zero, "post-end" is recorded if it was not cancelled by then.
    let postDuration: Duration
    let calls = Mutex<[String]>([])

    init(freezeEnabled: Bool, pre: ScriptOutcome, post: ScriptOutcome, postDuration: Duration = .zero) {
        self.freezeEnabled = freezeEnabled
        self.pre = pre
        self.post = post
        self.postDuration = postDuration
    }

    func runPreScript() async -> ScriptOutcome {
        calls.withLock { $0.append("pre") }
        return pre
    }

    func runPostScript() async -> ScriptOutcome {
        calls.withLock { $0.append("post") }
        if postDuration > .zero, (try? await Task.sleep(for: postDuration)) != nil {
            calls.withLock { $0.append("post-end") }
        }
        return post
    }
}

@Suite struct ScriptOrderTests {
    static let clean = ScriptOutcome(code: 0, ran: true, continueBackup: true, message: "exited 0")

    @Test func failingPreScriptStopsTheSnapshotButStillRunsThePostScript() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let scripts = RecordingScripts(
            freezeEnabled: true,
            pre: ScriptOutcome(code: 300, ran: true, continueBackup: false, message: "pre-script exited 3"),
            post: Self.clean)
        var options = scenario.options()
        options.scripts = scripts
        let result = await SnapshotJob(settings: try scenario.settings(), options: options).run()
        #expect(result.code == 300)
        #expect(result.message.contains("pre-script exited 3"))
        #expect(scripts.calls.withLock { $0 } == ["pre", "post"])
        #expect(scenario.emulator.journal().filter { $0.operation == .snapshot }.isEmpty)
    }

    @Test func cleanScriptsWithoutFreezingByConfigAreApplicationConsistent() async throws {
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        let scripts = RecordingScripts(freezeEnabled: false, pre: Self.clean, post: Self.clean)
        var options = scenario.options()
        options.scripts = scripts
        let result = await SnapshotJob(settings: try scenario.settings(), options: options).run()
        #expect(result.code == 0)
        #expect(scripts.calls.withLock { $0 } == ["pre", "post"])
        let telemetry = try #require(try scenario.statusDocument()).status.telemetryData
        #expect(telemetry.contains { $0.key == "consistencyType" && $0.value == "application" })
        #expect(telemetry.contains { $0.key == "prePostEnabled" && $0.value == "True" })
        let stages = try #require(try scenario.statusDocument()?.status.progress?.stages)
        let freeze = try #require(stages.first { $0.stage == .freeze })
        #expect(freeze.state == .skipped)
        #expect(freeze.detail.contains("fsFreezeEnabled is false"))
        #expect(
            stages.filter { $0.stage == .preScript || $0.stage == .postScript }.allSatisfy { $0.state == .succeeded })
    }

    @Test func cleanScriptsWithoutTheWantedFreezeAreNotApplicationConsistent() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        var options = scenario.options()
        options.scripts = RecordingScripts(freezeEnabled: true, pre: Self.clean, post: Self.clean)
        let result = await SnapshotJob(settings: try scenario.settings(), options: options).run()
        #expect(result.code == 1)
        #expect(result.message.contains("crash-consistent"))
    }

    @Test func failingPostScriptThatMayNotContinueFailsTheJob() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let scripts = RecordingScripts(
            freezeEnabled: true, pre: Self.clean,
            post: ScriptOutcome(code: 309, ran: true, continueBackup: false, message: "post-script timed out"))
        var options = scenario.options()
        options.scripts = scripts
        let result = await SnapshotJob(settings: try scenario.settings(), options: options).run()
        #expect(result.code == 309)
        #expect(result.disks.allSatisfy { $0.state == .succeeded })
    }

    /// The deadline watchdog firing while the post-script still runs must neither cut the post-script short (it
    /// un-quiesces the application; its own timeout governs it) nor turn snapshots that were taken into
    /// "interrupted".
    @Test func deadlinePassingDuringThePostScriptKeepsTheSnapshotsOutcome() async throws {
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        // Room for the stages before the snapshot even on a loaded machine; the post-script outlasts the rest.
        let scripts = RecordingScripts(
            freezeEnabled: true, pre: Self.clean, post: Self.clean, postDuration: .seconds(22))
        var options = scenario.options(deadline: .seconds(16))
        options.scripts = scripts
        let result = await SnapshotJob(settings: try scenario.settings(), options: options).run()
        #expect(scripts.calls.withLock { $0 } == ["pre", "post", "post-end"])
        #expect(result.disks.allSatisfy { $0.state == .succeeded })
        #expect(result.code == 1, "\(result.message)")
        #expect(result.status == "success")
        #expect(result.message.contains("taken"))
    }
}
