import Core
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A temporary folder with a VMSnapshotScriptPluginConfig.json and scripts, root-owned as the spec demands.
private final class ScriptFixture {
    let directory: String
    var configPath: String { directory + "/VMSnapshotScriptPluginConfig.json" }

    init() throws {
        directory = NSTemporaryDirectory() + "vmsnap-scripts-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Writes an executable shell script (mode 700 unless given) and returns its path.
    func script(_ name: String, _ body: String, mode: mode_t = 0o700) -> String {
        let path = directory + "/" + name
        try? Data("#!/bin/sh\n\(body)\n".utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, mode)
        return path
    }

    /// Writes the config (mode 600 unless given) with `fields` over the spec defaults.
    func config(_ fields: [String: Any], mode: mode_t = 0o600) throws {
        let data = try JSONSerialization.data(withJSONObject: ["pluginName": "ScriptRunner"].merging(fields) { $1 })
        try write(data, mode: mode)
    }

    /// Replaces the config file's bytes and sets its mode.
    func write(_ data: Data, mode: mode_t = 0o600) throws {
        try data.write(to: URL(fileURLWithPath: configPath))
        chmod(configPath, mode)
    }

    var plugin: ScriptPlugin { ScriptPlugin(configPath: configPath) }

    func lines(_ name: String) -> [Substring] {
        ((try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) ?? "").split(separator: "\n")
    }
}

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
        // The background child was in the script's process group: it must die (SIGKILL is delivered
        // asynchronously, so give it a moment to become a zombie or disappear).
        var state: Substring?
        for _ in 0..<100 {
            state =
                (try? String(contentsOfFile: "/proc/\(childPID)/stat", encoding: .utf8))?
                .split(separator: ")").last?.split(separator: " ").first
            if state == nil || state == "Z" { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(state == nil || state == "Z", "the script's background child survived the timeout")
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
        try fixture.config(["timeoutInSeconds": 4000])
        let outcome = await fixture.plugin.runPreScript()
        #expect(outcome.code == 305)
        #expect(outcome.message.contains("timeoutInSeconds"))
        try fixture.write(Data("{not json".utf8))
        #expect(await fixture.plugin.runPreScript().code == 305)
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
