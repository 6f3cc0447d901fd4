import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.serialized)
struct ScriptPluginTests {
    @Test func successfulScriptsGiveCodeZeroAndKeepTheirOutput() async throws {
        let fixture = try ScriptFixture()
        let pre = fixture.script("pre.sh", "echo \"pre $1 $2\"; echo oops >&2")
        let post = fixture.script("post.sh", "echo post > \"\(fixture.directory)/post-ran\"")
        try fixture.config([
            "preScriptLocation": pre, "preScriptParams": ["a", "b"], "postScriptLocation": post,
            "fsFreezeEnabled": false,
        ])
        let plugin = fixture.plugin
        #expect(!plugin.freezeEnabled)
        let outcome = await plugin.runPreScript()
        #expect(outcome.code == 0)
        #expect(outcome.ran)
        #expect(outcome.continueBackup)
        #expect(outcome.output.contains("pre a b"))
        #expect(outcome.output.contains("oops"))
        let postOutcome = await plugin.runPostScript()
        #expect(postOutcome.code == 0)
        #expect(fixture.lines("post-ran") == ["post"])
    }

    @Test func outputIsBoundedToItsLast64KiB() async throws {
        let fixture = try ScriptFixture()
        let body =
            "i=0; while [ $i -lt 3000 ]; do echo \"line $i of the script's chatter\"; i=$((i+1)); done; echo LAST"
        try fixture.config(["preScriptLocation": fixture.script("pre.sh", body)])
        let outcome = await fixture.plugin.runPreScript()
        #expect(outcome.code == 0)
        #expect(outcome.output.utf8.count <= 64 * 1024 + 64)
        #expect(outcome.output.hasPrefix("["), "the cut should be noted: \(outcome.output.prefix(80))")
        #expect(outcome.output.hasSuffix("LAST\n"))
        #expect(!outcome.output.contains("line 0 of"))
    }

    @Test func failureWithContinueBackupOnFailure() async throws {
        let fixture = try ScriptFixture()
        try fixture.config([
            "preScriptLocation": fixture.script("pre.sh", "exit 3"), "continueBackupOnFailure": true,
        ])
        let outcome = await fixture.plugin.runPreScript()
        #expect(outcome.code == 300)
        #expect(outcome.ran)
        #expect(outcome.continueBackup)
        #expect(outcome.message.contains("exited 3"))
    }

    @Test func failureWithoutContinueBackupOnFailureStopsTheBackup() async throws {
        let fixture = try ScriptFixture()
        try fixture.config([
            "postScriptLocation": fixture.script("post.sh", "exit 4"), "continueBackupOnFailure": false,
        ])
        let outcome = await fixture.plugin.runPostScript()
        #expect(outcome.code == 301)
        #expect(outcome.ran)
        #expect(!outcome.continueBackup)
    }

    @Test func retriesReallyRerunTheScript() async throws {
        let fixture = try ScriptFixture()
        let counter = fixture.directory + "/runs"
        try fixture.config([
            "preScriptLocation": fixture.script("pre.sh", "echo run >> \"\(counter)\"; exit 1"),
            "preScriptNoOfRetries": 2,
        ])
        let outcome = await fixture.plugin.runPreScript()
        #expect(outcome.code == 300)
        #expect(outcome.message.contains("3 attempts"))
        #expect(fixture.lines("runs").count == 3)
    }

    @Test func aRetryThatSucceedsIsASuccess() async throws {
        let fixture = try ScriptFixture()
        let counter = fixture.directory + "/runs"
        let body = "echo run >> \"\(counter)\"; [ $(wc -l < \"\(counter)\") -ge 2 ]"
        try fixture.config(["preScriptLocation": fixture.script("pre.sh", body), "preScriptNoOfRetries": 5])
        let outcome = await fixture.plugin.runPreScript()
        #expect(outcome.code == 0)
        #expect(fixture.lines("runs").count == 2)
    }

    @Test func timeoutKillsTheWholeProcessGroup() async throws {
        let fixture = try ScriptFixture()
        let pidFile = fixture.directory + "/child.pid"
        let body = "sleep 300 & echo $! > \"\(pidFile)\"; sleep 300"
        try fixture.config([
            "preScriptLocation": fixture.script("pre.sh", body), "timeoutInSeconds": 1, "preScriptNoOfRetries": 3,
        ])
        let outcome = await fixture.plugin.runPreScript()
        #expect(outcome.code == 308)
        #expect(outcome.ran)
        let childPID = try #require(fixture.lines("child.pid").first.flatMap { pid_t($0) })
        // The background child was in the script's process group: it must die.
        #expect(await ProcessState.ends(childPID), "the script's background child survived the timeout")
    }

    @Test func missingScriptIsNotFound() async throws {
        let fixture = try ScriptFixture()
        try fixture.config([
            "preScriptLocation": fixture.directory + "/missing.sh", "postScriptLocation": fixture.directory + "/gone",
        ])
        let pre = await fixture.plugin.runPreScript()
        #expect(pre.code == 302)
        #expect(!pre.ran)
        #expect(await fixture.plugin.runPostScript().code == 303)
    }

    @Test func scriptWithGroupOrOtherPermissionsIsRefused() async throws {
        let fixture = try ScriptFixture()
        let marker = fixture.directory + "/ran"
        try fixture.config([
            "preScriptLocation": fixture.script("pre.sh", "touch \"\(marker)\"", mode: 0o755),
            "postScriptLocation": fixture.script("post.sh", "touch \"\(marker)\"", mode: 0o770),
        ])
        let pre = await fixture.plugin.runPreScript()
        #expect(pre.code == 306)
        #expect(!pre.ran)
        #expect(await fixture.plugin.runPostScript().code == 307)
        #expect(!FileManager.default.fileExists(atPath: marker), "a script with unsafe permissions ran")
    }

    @Test func scriptNotOwnedByRootIsRefused() async throws {
        let fixture = try ScriptFixture()
        let pre = fixture.script("pre.sh", "exit 0")
        #expect(chown(pre, 1, 1) == 0)
        try fixture.config(["preScriptLocation": pre])
        #expect(await fixture.plugin.runPreScript().code == 306)
    }

    @Test func configWithBadPermissionsOrOwnerIsRefused() async throws {
        let fixture = try ScriptFixture()
        let marker = fixture.directory + "/ran"
        try fixture.config(["preScriptLocation": fixture.script("pre.sh", "touch \"\(marker)\"")], mode: 0o644)
        let permission = await fixture.plugin.runPreScript()
        #expect(permission.code == 317)
        #expect(!permission.ran)
        chmod(fixture.configPath, 0o600)
        #expect(chown(fixture.configPath, 1, 1) == 0)
        #expect(await fixture.plugin.runPreScript().code == 318)
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func unparsableConfigIs305NamingTheField() async throws {
        let fixture = try ScriptFixture()
        try fixture.config(["timeoutInSeconds": 0])
        let outcome = await fixture.plugin.runPreScript()
        #expect(outcome.code == 305)
        #expect(outcome.message.contains("timeoutInSeconds"))
        #expect(outcome.message.contains("at least 1"), "\(outcome.message)")
        try fixture.write(Data("{not json".utf8))
        #expect(await fixture.plugin.runPreScript().code == 305)
    }

    /// Microsoft's extension clamps timeoutInSeconds to 1800 instead of refusing the configuration.
    @Test func timeoutAbove1800IsClampedWithAWarning() async throws {
        let fixture = try ScriptFixture()
        try fixture.config([
            "preScriptLocation": fixture.script("pre.sh", "exit 0"), "timeoutInSeconds": 4000,
        ])
        let plugin = fixture.plugin
        #expect(plugin.config?.timeout == .seconds(1800))
        #expect(plugin.timeLimit(.pre) == .seconds(1800))
        #expect(plugin.timeLimit(.post) == .zero, "no post-script is configured")
        #expect(plugin.warnings.count == 1)
        #expect(plugin.warnings.first?.contains("timeoutInSeconds 4000") == true)
        #expect(plugin.warnings.first?.contains("clamped to 1800") == true)
        #expect(await plugin.runPreScript().code == 0)
        try fixture.config(["preScriptLocation": fixture.script("pre.sh", "exit 0"), "timeoutInSeconds": 1800])
        #expect(fixture.plugin.warnings.isEmpty)
        #expect(fixture.plugin.timeLimit(.pre) == .seconds(1800))
    }

    @Test func cancellingTheWaitKillsTheScriptsProcessGroup() async throws {
        let fixture = try ScriptFixture()
        let pidFile = fixture.directory + "/child.pid"
        try fixture.config([
            "preScriptLocation": fixture.script("pre.sh", "sleep 300 & echo $! > \"\(pidFile)\"; sleep 300"),
            "timeoutInSeconds": 600,
        ])
        let plugin = fixture.plugin
        let run = Task { await plugin.runPreScript() }
        while fixture.lines("child.pid").isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        run.cancel()
        let outcome = await run.value
        #expect(outcome.code == 308)
        #expect(outcome.ran)
        #expect(outcome.message.contains("cancelled"), "\(outcome.message)")
        let childPID = try #require(fixture.lines("child.pid").first.flatMap { pid_t($0) })
        #expect(await ProcessState.ends(childPID), "the script's background child survived the cancellation")
    }

    @Test func noConfigFileMeansNoScripts() async {
        let plugin = ScriptPlugin(configPath: "/nonexistent/VMSnapshotScriptPluginConfig.json")
        #expect(await plugin.runPreScript() == .none)
        #expect(plugin.freezeEnabled)
    }

    @Test func configDefaultsFollowTheSpec() throws {
        let config = try ScriptPluginConfig.parse(Data("{}".utf8), path: "test.json")
        #expect(config.timeout == .seconds(30))
        #expect(config.continueBackupOnFailure)
        #expect(config.fsFreezeEnabled)
        #expect(config.preScript.retries == 0)
        #expect(config.pollTimeSeconds == 3)
        #expect(config.preScript.location.isEmpty)
    }
}
