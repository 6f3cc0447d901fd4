import Core
import Foundation
import TestSupport
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

/// Every settings form reaches the same `JobSettings`.
@Suite struct SettingsFormsTests {
    static let disk =
        "https://acct1.blob.core.windows.net/vhds/os.vhd?sv=2020-12-06&sr=b&sp=rw&se=2099-01-01T00%3A00%3A00Z&sig=c2VjcmV0MQ%3D%3D"
    static let status =
        "https://acct1.blob.core.windows.net/status/s.txt?sv=2020-12-06&sr=b&sp=cw&se=2099-01-01T00%3A00%3A00Z&sig=c3RhdHVzMg%3D%3D"
    static let logs =
        "https://acct1.blob.core.windows.net/status/l.txt?sv=2020-12-06&sr=b&sp=w&se=2099-01-01T00%3A00%3A00Z&sig=bG9nczM%3D"

    static var publicObject: [String: Any] {
        [
            "backupMetadata": [["Key": "vmName", "Value": "web01"], ["Key": "rpId", "Value": "42"]],
            "snapshotTaskToken": "token-1",
            "includedDisks": ["dataDiskLunList": [0, 2], "isOSDiskIncluded": true],
        ]
    }

    static func publicSettings(objectStr: Any? = base64(publicObject)) -> [String: Any] {
        var settings: [String: Any] = [
            "locale": "en-us", "taskId": "task-9_1", "commandToExecute": "snapshot",
            "commandStartTimeUTCTicks": "636458000000000000", "vmType": "microsoft.compute/virtualmachines",
        ]
        settings["objectStr"] = objectStr
        return settings
    }

    static var protectedSettings: [String: Any] {
        ["objectStr": base64(["blobSASUri": [disk]]), "statusBlobUri": status, "logsBlobUri": logs]
    }

    static func base64(_ object: Any) -> String { SettingsFixtures.base64JSON(object) }

    func load(_ object: Any, name: String = "0.settings", checkedAt now: Date? = nil) throws -> LoadedSettings {
        let directory = try SettingsFixtures.temporaryDirectory("forms")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try SettingsFixtures.write(object, to: directory.appendingPathComponent(name))
        if let now { _ = try SettingsLoader.load(path: file.path, now: now) }
        return try SettingsLoader.parse(path: file.path)
    }

    func expectFullSettings(_ settings: JobSettings) {
        #expect(settings.taskID == "task-9_1")
        #expect(settings.disks.map(\.original) == [Self.disk])
        #expect(settings.statusBlob?.original == Self.status)
        #expect(settings.logsBlob?.original == Self.logs)
        #expect(settings.backupMetadata == [.init(key: "vmName", value: "web01"), .init(key: "rpId", value: "42")])
        #expect(settings.snapshotTaskToken == "token-1")
        #expect(settings.dataDiskLUNs == [0, 2])
        #expect(settings.osDiskIncluded == true)
        #expect(settings.commandStartTime == ISO8601DateFormatter().date(from: "2017-11-09T04:53:20Z"))
    }

    @Test func runtimeSettingsWithBase64ObjectStrings() throws {
        let loaded = try load(
            SettingsFixtures.runtimeSettings(
                publicSettings: Self.publicSettings(), protectedSettings: Self.protectedSettings),
            name: "7.settings", checkedAt: Date())
        #expect(loaded.form == .runtimeSettings)
        #expect(loaded.settings.sequenceNumber == 7)
        expectFullSettings(loaded.settings)
    }

    @Test func bareSettingsObject() throws {
        let loaded = try load(["settings": Self.publicSettings(), "protectedSettings": Self.protectedSettings])
        #expect(loaded.form == .bare)
        expectFullSettings(loaded.settings)
    }

    @Test func handlerSettingsObject() throws {
        let loaded = try load([
            "handlerSettings": ["publicSettings": Self.publicSettings(), "protectedSettings": Self.protectedSettings]
        ])
        #expect(loaded.form == .handlerSettings)
        expectFullSettings(loaded.settings)
    }

    @Test func rawJSONObjectStrings() throws {
        let rawPublic = String(decoding: try JSONSerialization.data(withJSONObject: Self.publicObject), as: UTF8.self)
        var protected = Self.protectedSettings
        protected["objectStr"] = #"{"blobSASUri": ["\#(Self.disk.replacingOccurrences(of: "/", with: "\\/"))"]}"#
        let loaded = try load(["settings": Self.publicSettings(objectStr: rawPublic), "protectedSettings": protected])
        expectFullSettings(loaded.settings)
    }

    @Test func objectStrGivenAsObject() throws {
        var protected = Self.protectedSettings
        protected["objectStr"] = ["blobSASUri": [Self.disk]]
        let loaded = try load([
            "settings": Self.publicSettings(objectStr: Self.publicObject), "protectedSettings": protected,
        ])
        expectFullSettings(loaded.settings)
    }

    @Test func protectedSettingsAsJSONTextWithoutThumbprint() throws {
        let text = String(decoding: try JSONSerialization.data(withJSONObject: Self.protectedSettings), as: UTF8.self)
        let loaded = try load(["settings": Self.publicSettings(), "protectedSettings": text])
        expectFullSettings(loaded.settings)
    }

    @Test func statusAndLogURIsFallBackToPublicSettings() throws {
        var publicSettings = Self.publicSettings()
        publicSettings["statusBlobUri"] = Self.status
        publicSettings["logsBlobUri"] = Self.logs
        let loaded = try load([
            "settings": publicSettings, "protectedSettings": ["objectStr": Self.base64(["blobSASUri": [Self.disk]])],
        ])
        expectFullSettings(loaded.settings)
    }

    @Test func protectedURIsWinOverPublicOnes() throws {
        var publicSettings = Self.publicSettings()
        publicSettings["statusBlobUri"] = Self.logs
        let loaded = try load(["settings": publicSettings, "protectedSettings": Self.protectedSettings])
        #expect(loaded.settings.statusBlob?.original == Self.status)
    }

    @Test func commandStartTicksAsJSONNumbers() throws {
        var publicSettings = Self.publicSettings()
        publicSettings["commandStartTimeUTCTicks"] = 636_458_000_000_000_000 as Int64
        let integer = try load(["settings": publicSettings, "protectedSettings": Self.protectedSettings])
        #expect(integer.settings.commandStartTime == ISO8601DateFormatter().date(from: "2017-11-09T04:53:20Z"))
        publicSettings["commandStartTimeUTCTicks"] = 6.36458e17
        let double = try load(["settings": publicSettings, "protectedSettings": Self.protectedSettings])
        #expect(double.settings.commandStartTime == integer.settings.commandStartTime)
    }

    @Test func installCommandNeedsNoDisks() throws {
        var publicSettings = Self.publicSettings(objectStr: nil)
        publicSettings["commandToExecute"] = "install"
        let loaded = try load(["settings": publicSettings])
        #expect(loaded.settings.disks.isEmpty)
        #expect(loaded.checks(now: Date()).isEmpty)
    }

    @Test func snapshotWithoutDisksFailsTheChecksWithCode76() throws {
        let loaded = try load(["settings": Self.publicSettings(objectStr: nil)])
        let problems = loaded.checks(now: Date())
        #expect(problems.map(\.code) == [76])
        #expect(problems[0].expected == "at least one disk SAS URI")
    }

    @Test func unknownCommandFailsTheChecks() throws {
        var publicSettings = Self.publicSettings()
        publicSettings["commandToExecute"] = "reboot"
        let loaded = try load(["settings": publicSettings, "protectedSettings": Self.protectedSettings])
        let problems = loaded.checks(now: Date())
        #expect(problems.count == 1)
        #expect(problems[0].path == "$.settings.commandToExecute")
        #expect(problems[0].found == "'reboot'")
    }
}
