import Core
import Emulator
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// One job contract: `snapshot --json`'s stage events, the status blob's `progress.stages` and `status --once
/// --json`'s phases say the same thing about every stage, the status output follows its schema, and the status blob
/// and file carry the peer's field set.
@Suite(.serialized)
struct JobContractTests {
    /// What one job said about its stages through each output.
    private struct Views {
        var events: [String: String] = [:]
        var blob: [String: String] = [:]
        var status: [String: String] = [:]
        var verdict: String?
    }

    private func run(
        _ scenario: SnapshotScenario, extra: [String] = [], expectStatus: Int32
    ) async throws -> Views {
        let settings = try scenario.writeSettingsFile(to: scenario.directory.appendingPathComponent("job.settings"))
        let output = try await BuiltBinary.run(
            [
                "snapshot", "--settings", settings.path, "--json", "--status-dir", scenario.statusDirectory,
                "--log-dir",
                scenario.logDirectory,
            ] + extra)
        #expect(output.status == expectStatus, "\(output.stderr)\n\(output.stdout)")
        var views = Views()
        for line in output.stdout.split(separator: "\n") {
            let event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if event["event"] as? String == "stage", let stage = event["stage"] as? String {
                views.events[stage] = event["state"] as? String
            }
        }
        let document = try #require(try scenario.statusDocument())
        #expect(try scenario.peerSchemaProblems() == [], "the peer's field set")
        for record in document.status.progress?.stages ?? [] {
            views.blob[record.stage.rawValue] = record.state.rawValue
        }
        let poll = scenario.fixture.sasURI(blob: SnapshotScenario.statusBlob, permissions: "r")
        let status = try await BuiltBinary.run([
            "status", "--once", "--json", "--status-blob", poll, "--plugin-dir", "/nonexistent", "--log-dir",
            scenario.logDirectory,
        ])
        let json = Data(status.stdout.utf8)
        #expect(try JSONSchemaCheck.problems(in: json, schema: "schemas/vmsnap.status.schema.json") == [])
        let root = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        views.verdict = root["verdict"] as? String
        let phases = try #require((root["job"] as? [String: Any])?["phases"] as? [[String: Any]])
        for phase in phases {
            if let stage = phase["stage"] as? String { views.status[stage] = phase["state"] as? String }
        }
        #expect(!scenario.leaksSignature(output.stdout + status.stdout))
        return views
    }

    /// Every timeline stage: the event's final state, the blob's record and status --once's phase agree.
    private func expectAgreement(_ views: Views, _ expected: [String: String]) {
        for stage in PhaseRecord.timelineStages.map(\.rawValue) {
            #expect(views.events[stage] == views.blob[stage], "\(stage): events \(views.events) blob \(views.blob)")
            #expect(views.blob[stage] == views.status[stage], "\(stage): blob \(views.blob) status \(views.status)")
        }
        for (stage, state) in expected { #expect(views.events[stage] == state, "\(stage) in \(views.events)") }
    }

    @Test func freezeOff() async throws {
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        let views = try await run(scenario, expectStatus: 0)
        expectAgreement(
            views,
            [
                "preScript": "skipped", "freeze": "skipped", "snapshot": "succeeded", "thaw": "skipped",
                "postScript": "skipped", "report": "succeeded",
            ])
        #expect(views.verdict == "succeeded")
    }

    @Test func aFailedDisk() async throws {
        let scenario = try await SnapshotScenario.start(disks: 3)
        defer { Task { try await scenario.stop() } }
        scenario.emulator.setFaults([
            FaultRule(blob: "disk1", operation: .snapshot, action: .error(status: 403, code: "AuthenticationFailed"))
        ])
        let views = try await run(scenario, expectStatus: 1)
        expectAgreement(views, ["snapshot": "failed", "report": "succeeded"])
        #expect(views.verdict == "failed")
        let document = try #require(try scenario.statusDocument())
        let failed = try #require(document.status.snapshotInfo.first { !$0.isSuccessful })
        #expect(failed.errorMessage.hasPrefix("HTTP 403 AuthenticationFailed: "), "\(failed.errorMessage)")
    }

    @Test func cleanScripts() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let folder = scenario.directory.appendingPathComponent("scripts").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in ["pre.sh", "post.sh"] {
            try Data("#!/bin/sh\necho \(name)\n".utf8).write(to: URL(fileURLWithPath: folder + "/" + name))
            chmod(folder + "/" + name, 0o700)
        }
        let config = folder + "/VMSnapshotScriptPluginConfig.json"
        try JSONSerialization.data(withJSONObject: [
            "preScriptLocation": folder + "/pre.sh", "postScriptLocation": folder + "/post.sh",
        ]).write(to: URL(fileURLWithPath: config))
        chmod(config, 0o600)
        let views = try await run(scenario, extra: ["--script-config", config], expectStatus: 0)
        expectAgreement(views, ["preScript": "succeeded", "freeze": "skipped", "postScript": "succeeded"])
    }

    @Test func freezeOn() async throws {
        let filesystems = try LoopFilesystem.create(count: 1)
        defer { filesystems.forEach { $0.remove() } }
        let mounts = try LoopFilesystem.testOwnedMounts(filesystems)
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        let lock = scenario.directory.appendingPathComponent("SafeFreezeLockFile").path
        let views = try await run(
            scenario, extra: ["--freeze", "auto", "--freeze-lock", lock] + mounts.flatMap { ["--mount", $0] },
            expectStatus: 0)
        expectAgreement(views, ["freeze": "succeeded", "snapshot": "succeeded", "thaw": "succeeded"])
    }
}
