import Core
import Emulator
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The real Linux guest agent (Debian's waagent 2.7.3) drives vmsnap's extension package: it downloads it from the
/// fake WireServer, installs and enables it with protected settings encrypted to the certificate it fetched, and
/// reports what vmsnap wrote. vmsnap runs with `--freeze off`: nothing of the machine is frozen.
@Suite(.serialized) struct GuestAgentTests {
    /// The agent's enable timeout in the sandbox (300 s on a VM), short so that a script outlives it quickly.
    static let enableTimeout = 5

    /// Whether any process is left in process group `group`.
    func processGroupAlive(_ group: pid_t) -> Bool {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.contains { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let fields = stat.split(separator: ")").last?.split(separator: " "), fields.count > 2
            else { return false }
            return fields[0] != "Z" && pid_t(fields[2]) == group
        }
    }

    func snapshots(_ scenario: SnapshotScenario) -> Int {
        scenario.emulator.journal().filter { $0.operation == .snapshot }.count
    }

    @Test func theRealAgentRunsDetachedJobsAndReportsTheirTerminalStatus() async throws {
        let waagent = BuiltBinary.packageRoot.appendingPathComponent(".build/waagent/usr/lib/python3/dist-packages")
        try #require(
            FileManager.default.fileExists(atPath: waagent.appendingPathComponent("azurelinuxagent").path),
            "waagent is not unpacked: run scripts/install-test-tools")
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        let work = try SettingsFixtures.temporaryDirectory("agent-package")
        defer { try? FileManager.default.removeItem(at: work) }
        let scriptConfig = work.appendingPathComponent("VMSnapshotScriptPluginConfig.json")
        let zip = work.appendingPathComponent("vmsnap-extension.zip")
        let packaged = try await ProcessOutput.run(
            BuiltBinary.packageRoot.appendingPathComponent("scripts/package"),
            [
                "--binary", BuiltBinary.vmsnap.path, "--enable-args",
                "--freeze off --script-config \(scriptConfig.path)",
                zip.path,
            ])
        try #require(packaged.status == 0, "scripts/package failed: \(packaged.stderr)")
        let agent = try GuestAgentSandbox(package: zip, enableTimeoutSeconds: Self.enableTimeout)
        defer { agent.stop() }

        // 1. First goal state: download, install, enable; protected settings encrypted to the tenant certificate.
        try agent.publish(
            incarnation: 1, sequenceNumber: 0,
            handlerSettings: try scenario.handlerSettings(taskID: "agent-task-0", certificate: agent.tenant))
        try agent.start()
        let first = try #require(
            await agent.terminalReport(sequenceNumber: 0),
            "no terminal status for sequence 0; agent log:\n\(agent.agentLog.suffix(3000))")
        #expect(first.status == "success" && first.code == 1, "\(first)")
        #expect(first.handlerStatus == "Ready" && first.handlerCode == 0, "\(first)")
        #expect(first.handlerMessage == "Plugin enabled")
        #expect(snapshots(scenario) == 2, "every disk snapshotted once")
        #expect(try await scenario.finalStatusDocument()?.status.code == "1")
        let enables = agent.commands().filter { $0.name == "enable" }
        let firstEnable = try #require(enables.first)
        #expect(firstEnable.sequenceNumber == "0")
        #expect(
            firstEnable.ended.timeIntervalSince(firstEnable.started) < Double(Self.enableTimeout),
            "enable did not return within the agent's timeout")
        #expect(
            FileManager.default.fileExists(
                atPath: agent.libDirectory.appendingPathComponent("\(agent.tenant.thumbprint).prv").path),
            "the agent did not leave the tenant key in its folder")
        // The job recorded the VM it ran on: the SMBIOS UUID, or (where there is none) the agent's role instance.
        let identity = try String(
            contentsOf: agent.handlerDirectory.appendingPathComponent("vmidentity"), encoding: .utf8)
        let smbios = try? String(contentsOfFile: VMIdentity.smbiosUUIDPath, encoding: .utf8)
        let expected =
            smbios.map { "smbios:" + $0.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() }
            ?? "role-instance:vmsnap-sandbox.MachineRole_IN_0"
        #expect(identity == expected)

        // 2. A new goal state with sequence 1 runs a second job.
        try agent.publish(
            incarnation: 2, sequenceNumber: 1,
            handlerSettings: try scenario.handlerSettings(taskID: "agent-task-1", certificate: agent.tenant))
        let second = try #require(await agent.terminalReport(sequenceNumber: 1), "no terminal status for sequence 1")
        #expect(second.status == "success" && second.code == 1, "\(second)")
        #expect(snapshots(scenario) == 4, "the second job snapshotted every disk once more")

        // 3. A pre-script that sleeps past the agent's enable timeout: the detached job kills its process group at
        //    the script's own timeout, runs the post-script and writes the terminal status the agent reports.
        let marker = work.appendingPathComponent("post-ran")
        let groupFile = work.appendingPathComponent("pre-group")
        let pre = try writeScript(
            work.appendingPathComponent("pre.sh"), "echo $$ > '\(groupFile.path)'; sleep 600 & sleep 600")
        let post = try writeScript(work.appendingPathComponent("post.sh"), "touch '\(marker.path)'")
        try JSONSerialization.data(withJSONObject: [
            "pluginName": "ScriptRunner", "preScriptLocation": pre.path, "postScriptLocation": post.path,
            "timeoutInSeconds": Self.enableTimeout + 5, "continueBackupOnFailure": false,
        ]).write(to: scriptConfig)
        chmod(scriptConfig.path, 0o600)
        try agent.publish(
            incarnation: 3, sequenceNumber: 2,
            handlerSettings: try scenario.handlerSettings(taskID: "agent-task-2", certificate: agent.tenant))
        let third = try #require(await agent.terminalReport(sequenceNumber: 2), "no terminal status for sequence 2")
        #expect(third.status == "error" && third.code == 308, "\(third)")
        #expect(third.handlerStatus == "Ready", "enable itself succeeded: \(third)")
        let thirdEnable = try #require(agent.commands().last { $0.name == "enable" && $0.sequenceNumber == "2" })
        #expect(thirdEnable.ended.timeIntervalSince(thirdEnable.started) < Double(Self.enableTimeout))
        let groupText = try String(contentsOf: groupFile, encoding: .utf8)
        let group = try #require(pid_t(groupText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(!processGroupAlive(group), "the pre-script's process group outlived its timeout")
        #expect(FileManager.default.fileExists(atPath: marker.path), "the post-script did not run")
        #expect(snapshots(scenario) == 4, "no snapshot after a failed pre-script that may not continue")
        let handlerLog = try String(
            contentsOf: agent.directory.appendingPathComponent("log/\(GuestAgentSandbox.handlerName)/extension.log"),
            encoding: .utf8)
        #expect(handlerLog.contains("did not finish within"), "\(handlerLog.suffix(2000))")

        let uploads = agent.uploads().map { String(describing: $0.document) }.joined()
        #expect(!scenario.leaksSignature(uploads + agent.agentLog + handlerLog))
        #expect(!agent.refused.contains("socket.connect"), "the agent tried to leave loopback: \(agent.refused)")
    }

    private func writeScript(_ url: URL, _ body: String) throws -> URL {
        try Data("#!/bin/sh\n\(body)\n".utf8).write(to: url)
        chmod(url.path, 0o700)
        return url
    }
}
