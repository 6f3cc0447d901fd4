import Core
import Foundation
import TestSupport
import Testing

/// The built binary against hostile documents, settings and storage answers: no trap, never an empty JSON
/// document, and nothing from data acts on the terminal.
@Suite struct HostileInputEndToEndTests {
    /// A plugin directory whose newest status file holds `data`; removed by the caller.
    private func pluginDirectory(statusFile data: Data) throws -> URL {
        let directory = try SettingsFixtures.temporaryDirectory("hostile-e2e")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("status"), withIntermediateDirectories: true)
        try data.write(to: directory.appendingPathComponent("status/1.status"))
        return directory
    }

    private func statusOnce(_ directory: URL, json: Bool = false) async throws -> ProcessOutput {
        try await BuiltBinary.run(
            ["status", "--once", "--plugin-dir", directory.path, "--log-dir", directory.path] + (json ? ["--json"] : [])
        )
    }

    /// `status --once` died with SIGILL (status 132 from a shell) on these timestamps.
    @Test(arguments: HostileInputs.timestamps) func statusOnceSurvivesImplausibleTimestamps(_ timestamp: String)
        async throws
    {
        let directory = try pluginDirectory(statusFile: try HostileInputs.peerStatusBlob(timestamp: timestamp))
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try await statusOnce(directory)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("SUCCEEDED"))
        let json = try await statusOnce(directory, json: true)
        #expect(json.status == 0, "\(json.stderr)")
        #expect(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) is [String: Any])
    }

    /// `status --once --json` printed only a newline (and exited 0) when FreezeTime was "1e400:0:0".
    @Test func statusOnceJSONIsNeverEmpty() async throws {
        let data = try HostileInputs.peerStatusBlob(telemetry: "FreezeTime", value: "1e400:0:0")
        let directory = try pluginDirectory(statusFile: data)
        defer { try? FileManager.default.removeItem(at: directory) }
        let json = try await statusOnce(directory, json: true)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["schema"] as? String == "vmsnap.status/3")
        #expect((object["job"] as? [String: Any])?["status"] as? String == "success")
        #expect(
            try JSONSchemaCheck.problems(in: Data(json.stdout.utf8), schema: "schemas/vmsnap.status.schema.json") == [])
    }

    /// A status file of 8 MiB is refused by its size with an error naming the limit (a source that cannot be read and
    /// no document: exit 7).
    @Test func statusOnceRefusesAHugeDocument() async throws {
        let directory = try pluginDirectory(statusFile: Data(repeating: UInt8(ascii: " "), count: 8 << 20))
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try await statusOnce(directory)
        #expect(text.status == 7)
        #expect(text.stdout.contains("a status document of at most 4 MiB, found 8388608 bytes"), "\(text.stdout)")
    }

    /// Escapes in a status document's message and disk error reach `status --once` as visible text only.
    @Test func statusOnceShowsTerminalPayloadsAsEscapes() async throws {
        var document = try String(
            decoding: StatusDocumentFixtures.data(StatusDocumentFixtures.partialFailure), as: UTF8.self)
        let payload = HostileInputs.jsonStringBody(HostileInputs.terminalPayloads.joined(separator: " "))
        document = document.replacingOccurrences(of: "SnapshotCountExceeded", with: "SnapshotCountExceeded\(payload)")
        let directory = try pluginDirectory(statusFile: Data(document.utf8))
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try await statusOnce(directory)
        #expect(text.status == 1)
        #expect(!HostileInputs.actsOnTerminal(text.stdout + text.stderr), "\(text.stdout.debugDescription)")
        #expect(text.stdout.contains(#"\x1b]52;c;aGFja2Vk\x07"#), "\(text.stdout)")
        #expect(text.stdout.contains(#"abc\u{202e}txt.exe"#))
    }

    /// The same payloads through `status --once --json`: bidi and C1 controls are `\uXXXX` escapes (they went
    /// out raw and reordered what a terminal showed), and a JSON parser still reads the payload unchanged.
    @Test func statusOnceJSONCarriesPayloadsAsEscapes() async throws {
        var document = try String(
            decoding: StatusDocumentFixtures.data(StatusDocumentFixtures.partialFailure), as: UTF8.self)
        let payload = HostileInputs.jsonStringBody(HostileInputs.terminalPayloads.joined(separator: " "))
        document = document.replacingOccurrences(of: "SnapshotCountExceeded", with: "SnapshotCountExceeded\(payload)")
        let directory = try pluginDirectory(statusFile: Data(document.utf8))
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = try await statusOnce(directory, json: true)
        #expect(output.status == 1)
        #expect(!HostileInputs.actsOnTerminal(output.stdout), "\(output.stdout.debugDescription)")
        #expect(output.stdout.contains(#"abc\u202etxt.exe"#), "\(output.stdout)")
        let parsed = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8))
        let reparsed = String(
            decoding: try JSONSerialization.data(withJSONObject: parsed, options: [.fragmentsAllowed]), as: UTF8.self)
        #expect(reparsed.contains("abc\u{202E}txt.exe"), "the payload no longer parses back")
    }

    /// `config validate` echoes what it found: a payload in the settings is shown, not acted on.
    @Test func configValidateShowsTerminalPayloadsAsEscapes() async throws {
        let directory = try SettingsFixtures.temporaryDirectory("hostile-validate")
        defer { try? FileManager.default.removeItem(at: directory) }
        let payload = HostileInputs.terminalPayloads.joined(separator: " ")
        var publicSettings = SettingsFixtures.seedPublicSettings
        publicSettings["commandToExecute"] = "run \(payload)"
        publicSettings["taskId"] = "task \(payload)"
        let file = try SettingsFixtures.write(
            SettingsFixtures.runtimeSettings(
                publicSettings: publicSettings, protectedSettings: SettingsFixtures.seedProtectedSettings),
            to: directory.appendingPathComponent("0.settings"))
        let output = try await BuiltBinary.run(["config", "validate", file.path])
        #expect(output.status == 1)
        #expect(!HostileInputs.actsOnTerminal(output.stdout + output.stderr), "\(output.stdout.debugDescription)")
        #expect(output.stdout.contains(#"run \x1b]52;c;aGFja2Vk\x07"#), "\(output.stdout)")
    }

    /// Storage answers carrying escapes (error code, message and request id; the emulator's HTTP library would not
    /// send them, so a scripted server does): the human `snapshot` lines and extension.log show them visibly.
    @Test func snapshotLinesAndExtensionLogShowStorageAnswersAsEscapes() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let storage = try ScriptedHTTPServer.start(
            status: "409 Conflict",
            headers: [
                "x-ms-error-code: Refused\u{1B}]2;pwned\u{07}\u{1B}[2J\u{202E}",
                "x-ms-request-id: req\u{1B}]52;c;eA==\u{07}",
                "Content-Type: application/xml",
            ],
            body: "<?xml version=\"1.0\"?><Error><Code>Refused</Code><Message>no \u{1B}[31mway</Message></Error>")
        defer { storage.stop() }
        let disk = try SASBlobURI(scenario.diskURIs[0])
        let hostile = "http://127.0.0.1:\(storage.port)/\(disk.account)/\(disk.container)/\(disk.blob)?\(disk.query)"
        let settings = try scenario.writeSettingsFile(
            to: scenario.directory.appendingPathComponent("job.settings"), disks: [hostile])
        let output = try await BuiltBinary.run([
            "snapshot", "--settings", settings.path, "--status-dir", scenario.statusDirectory, "--log-dir",
            scenario.logDirectory,
        ])
        #expect(output.status == 1)
        #expect(!HostileInputs.actsOnTerminal(output.stdout + output.stderr), "\(output.stdout.debugDescription)")
        #expect(output.stdout.contains(#"Refused\x1b]2;pwned\x07\x1b[2J\u{202e}"#), "\(output.stdout)")
        let log = try String(contentsOfFile: scenario.logDirectory + "/extension.log", encoding: .utf8)
        #expect(!HostileInputs.actsOnTerminal(log))
        #expect(log.contains(#"Refused\x1b]2;pwned"#), "\(log)")
    }
}
