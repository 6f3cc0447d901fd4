import Core
import Foundation
import TestSupport
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

@Suite struct VMSnapConfigurationTests {
    func load(_ object: Any) throws -> (Result<VMSnapConfiguration, ConfigurationError>, String) {
        let directory = try SettingsFixtures.temporaryDirectory("config")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try SettingsFixtures.write(object, to: directory.appendingPathComponent("config.json"))
        do {
            return (.success(try VMSnapConfiguration.load(path: file.path)), file.path)
        } catch {
            return (.failure(error), file.path)
        }
    }

    @Test func exampleFileLoads() throws {
        let path = BuiltBinary.packageRoot.appendingPathComponent("config.example.json").path
        let configuration = try VMSnapConfiguration.load(path: path)
        #expect(configuration.statusBlob == .discover)
        #expect(configuration.pollIntervalSeconds == 2)
        #expect(configuration.freezeTimeoutSeconds == 60)
        #expect(configuration.theme == .dark)
        #expect(configuration.mountsToSkip == ["/mnt/resource", "/media/*"])
        #expect(configuration.pluginDirectory.hasPrefix("/var/lib/waagent/"))
    }

    @Test func exampleDocumentsEveryKey() throws {
        let path = BuiltBinary.packageRoot.appendingPathComponent("config.example.json")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: path)) as? [String: Any]
        #expect(Set(object?.keys.map { $0 } ?? []) == Set(VMSnapConfiguration.keys))
    }

    @Test func emptyObjectGivesDefaults() throws {
        let (result, _) = try load([String: Any]())
        #expect(try result.get() == VMSnapConfiguration.defaults)
    }

    @Test func statusBlobURI() throws {
        let uri = "https://acct.blob.core.windows.net/status/s.txt?sp=r&se=2099-01-01&sig=abc"
        let (result, _) = try load(["statusBlob": uri])
        #expect(try result.get().statusBlob == .uri(try SASBlobURI(uri)))
        #expect(try result.get().statusBlob.description.contains("sig=REDACTED"))
    }

    @Test func everyProblemNamesItsKey() throws {
        let (result, file) = try load([
            "pollIntervalSeconds": 0.5, "freezeTimeoutSeconds": "60", "theme": "neon", "mountsToSkip": ["relative"],
            "statusBlob": "http://acct.blob.core.windows.net/c/b?sig=SECRET", "logDirectory": "logs",
            "pollIntervalSecond": 3,
        ])
        guard case .failure(let error) = result else {
            Issue.record("expected a failure")
            return
        }
        let byPath = Dictionary(uniqueKeysWithValues: error.problems.map { ($0.path, $0) })
        #expect(error.problems.allSatisfy { $0.file == file })
        #expect(byPath["$.pollIntervalSecond"]?.found == "unknown key 'pollIntervalSecond'")
        #expect(byPath["$.pollIntervalSeconds"]?.expected == "a number of seconds from 1 to 3600")
        #expect(byPath["$.pollIntervalSeconds"]?.found == "0.5")
        #expect(byPath["$.freezeTimeoutSeconds"]?.expected == "a number of seconds")
        #expect(byPath["$.freezeTimeoutSeconds"]?.found == "a string")
        #expect(byPath["$.theme"]?.expected == #"one of "dark", "light", "monochrome""#)
        #expect(byPath["$.mountsToSkip[0]"]?.expected == "an absolute mount path or glob (starting with /)")
        #expect(byPath["$.statusBlob"]?.found == "plain http to acct.blob.core.windows.net")
        #expect(byPath["$.logDirectory"]?.expected == "an absolute path")
        #expect(error.problems.count == 7)
        #expect(!error.description.contains("SECRET"))
    }

    @Test func outOfRangeFreezeTimeout() throws {
        let (result, _) = try load(["freezeTimeoutSeconds": 301])
        guard case .failure(let error) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect(
            error.description.hasSuffix("$.freezeTimeoutSeconds: expected a number of seconds from 1 to 300, found 301")
        )
    }

    @Test func pluginDirectoryGlobPicksNewestMatch() throws {
        let directory = try SettingsFixtures.temporaryDirectory("plugins")
        defer { try? FileManager.default.removeItem(at: directory) }
        let old = directory.appendingPathComponent("Ext-1.0")
        let new = directory.appendingPathComponent("Ext-2.0")
        for (url, age) in [(old, 100.0), (new, 10.0)] {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            try FileManager.default.setAttributes(
                [.modificationDate: Date().addingTimeInterval(-age)], ofItemAtPath: url.path)
        }
        var configuration = VMSnapConfiguration.defaults
        configuration.pluginDirectory = directory.appendingPathComponent("Ext-*").path
        #expect(configuration.resolvedPluginDirectory() == new.path)
        configuration.pluginDirectory = old.path
        #expect(configuration.resolvedPluginDirectory() == old.path)
    }
}
