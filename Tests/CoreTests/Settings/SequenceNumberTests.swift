import Core
import Foundation
import TestSupport
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

/// Choosing config/N.settings: explicit, `ConfigSequenceNumber`, else the newest; via HandlerEnvironment.json.
@Suite struct SequenceNumberTests {
    let plugin: URL

    init() throws {
        plugin = try SettingsFixtures.temporaryDirectory("plugin")
        let base = Date(timeIntervalSince1970: 1_700_000_000)
        for (number, age) in [(0, 300.0), (1, 100.0), (2, 200.0)] {
            var publicSettings = SettingsFormsTests.publicSettings()
            publicSettings["taskId"] = "task-\(number)"
            let file = try SettingsFixtures.write(
                SettingsFixtures.runtimeSettings(
                    publicSettings: publicSettings, protectedSettings: SettingsFormsTests.protectedSettings),
                to: plugin.appendingPathComponent("config/\(number).settings"))
            try FileManager.default.setAttributes(
                [.modificationDate: base.addingTimeInterval(-age)], ofItemAtPath: file.path)
        }
    }

    func taskID(_ path: URL, sequenceNumber: Int? = nil, environment: [String: String] = [:]) throws -> String {
        try SettingsLoader.parse(path: path.path, sequenceNumber: sequenceNumber, environment: environment)
            .settings.taskID
    }

    @Test func newestSettingsFileWithoutAnyNumber() throws {
        defer { try? FileManager.default.removeItem(at: plugin) }
        #expect(try taskID(plugin) == "task-1")
    }

    /// The loader and a job refused before parsing (whose status file is `<N>.status`) read the variable alike.
    @Test func environmentValueIsANonNegativeInteger() {
        defer { try? FileManager.default.removeItem(at: plugin) }
        #expect(SettingsLocation.sequenceNumber(environmentValue: " 7 ") == 7)
        #expect(SettingsLocation.sequenceNumber(environmentValue: "-1") == nil)
        #expect(SettingsLocation.sequenceNumber(environmentValue: "seven") == nil)
    }

    @Test func environmentVariableChooses() throws {
        defer { try? FileManager.default.removeItem(at: plugin) }
        #expect(try taskID(plugin, environment: ["ConfigSequenceNumber": "2"]) == "task-2")
    }

    @Test func explicitNumberWinsOverEnvironment() throws {
        defer { try? FileManager.default.removeItem(at: plugin) }
        #expect(try taskID(plugin, sequenceNumber: 0, environment: ["ConfigSequenceNumber": "2"]) == "task-0")
    }

    @Test func handlerEnvironmentPointsAtConfigFolder() throws {
        defer { try? FileManager.default.removeItem(at: plugin) }
        let file = try SettingsFixtures.write(
            SettingsFixtures.handlerEnvironment(pluginDirectory: plugin),
            to: plugin.appendingPathComponent("HandlerEnvironment.json"))
        let loaded = try SettingsLoader.parse(path: file.path, environment: ["ConfigSequenceNumber": "0"])
        #expect(loaded.form == .handlerEnvironment)
        #expect(loaded.settings.taskID == "task-0")
        #expect(loaded.settings.sequenceNumber == 0)
        #expect(loaded.handlerEnvironment?.statusFolder == plugin.appendingPathComponent("status").path)
        let viaDirectory = try SettingsLoader.parse(path: plugin.path, environment: [:])
        #expect(viaDirectory.form == .pluginDirectory)
        #expect(viaDirectory.handlerEnvironment?.logFolder == plugin.appendingPathComponent("log").path)
        #expect(viaDirectory.settings.taskID == "task-1")
    }

    @Test func copiedPluginDirectoryFallsBackToItsOwnConfigFolder() throws {
        defer { try? FileManager.default.removeItem(at: plugin) }
        let original = URL(fileURLWithPath: "/var/lib/waagent/vmsnap-test-absent-\(UUID().uuidString)")
        try SettingsFixtures.write(
            SettingsFixtures.handlerEnvironment(pluginDirectory: original),
            to: plugin.appendingPathComponent("HandlerEnvironment.json"))
        let loaded = try SettingsLoader.parse(path: plugin.path, environment: ["ConfigSequenceNumber": "2"])
        #expect(loaded.settings.taskID == "task-2")
        #expect(loaded.file == plugin.appendingPathComponent("config/2.settings").path)
        try FileManager.default.removeItem(at: plugin.appendingPathComponent("config"))
        let error = try #require(throws: SettingsError.self) {
            try SettingsLoader.parse(path: plugin.path, environment: ["ConfigSequenceNumber": "2"])
        }
        #expect(error.file == original.appendingPathComponent("config").path)
    }

    @Test func handlerEnvironmentFieldsAndErrors() throws {
        defer { try? FileManager.default.removeItem(at: plugin) }
        let file = plugin.appendingPathComponent("HandlerEnvironment.json")
        try SettingsFixtures.write(SettingsFixtures.handlerEnvironment(pluginDirectory: plugin), to: file)
        let environment = try HandlerEnvironment.load(path: plugin.path)
        #expect(environment.name == "Microsoft.Azure.RecoveryServices.VMSnapshotLinux")
        #expect(environment.version == "1.0")
        #expect(environment.heartbeatFile == plugin.appendingPathComponent("heartbeat.log").path)
        #expect(environment.eventsFolder == plugin.appendingPathComponent("events").path)
        try SettingsFixtures.write([["handlerEnvironment": ["logFolder": "/tmp/x", "configFolder": 3]]], to: file)
        let error = try #require(throws: SettingsError.self) { try HandlerEnvironment.load(path: file.path) }
        #expect(error.path == "$[0].handlerEnvironment.configFolder")
        #expect(error.expected == "a string")
        #expect(error.problems[0].found == "a number")
    }

    @Test func missingNumberedFileIsNamed() throws {
        defer { try? FileManager.default.removeItem(at: plugin) }
        let error = try #require(throws: SettingsError.self) { try taskID(plugin, sequenceNumber: 9) }
        #expect(error.file == plugin.appendingPathComponent("config").path)
        #expect(error.expected == "9.settings for sequence number 9")
    }

    @Test func nonNumericEnvironmentValueIsAnError() throws {
        defer { try? FileManager.default.removeItem(at: plugin) }
        let error = try #require(throws: SettingsError.self) {
            try taskID(plugin, environment: ["ConfigSequenceNumber": "abc"])
        }
        #expect(error.file == "environment variable ConfigSequenceNumber")
        #expect(error.expected == "a non-negative integer")
    }

    @Test func directoryWithoutSettingsIsAnError() throws {
        defer { try? FileManager.default.removeItem(at: plugin) }
        let empty = plugin.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let error = try #require(throws: SettingsError.self) { try taskID(empty) }
        #expect(error.expected == "a plugin directory with HandlerEnvironment.json or config/*.settings")
    }
}
