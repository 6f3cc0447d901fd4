import Core
import Foundation
import TestSupport
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

/// Bad input is reported with the file, the JSON path and what was expected, and never with a signature.
@Suite struct SettingsErrorMessageTests {
    func errors(_ object: Any) throws -> (SettingsError, String) {
        let directory = try SettingsFixtures.temporaryDirectory("errors")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try SettingsFixtures.write(object, to: directory.appendingPathComponent("5.settings"))
        let error = try #require(throws: SettingsError.self) { try SettingsLoader.parse(path: file.path) }
        return (error, file.path)
    }

    @Test func missingTaskIdNamesFilePathAndExpectation() throws {
        var publicSettings = SettingsFormsTests.publicSettings()
        publicSettings["taskId"] = nil
        let (error, file) = try errors(
            SettingsFixtures.runtimeSettings(
                publicSettings: publicSettings, protectedSettings: SettingsFormsTests.protectedSettings))
        #expect(
            error.description
                == "\(file): $.runtimeSettings[0].handlerSettings.publicSettings.taskId: expected a value, found nothing"
        )
        #expect(error.resultCode == 11)
    }

    @Test func everyProblemIsReportedNotOnlyTheFirst() throws {
        var publicSettings = SettingsFormsTests.publicSettings()
        publicSettings["taskId"] = 17
        publicSettings["commandStartTimeUTCTicks"] = "yesterday"
        publicSettings["locale"] = ["en"]
        let (error, _) = try errors([
            "settings": publicSettings, "protectedSettings": SettingsFormsTests.protectedSettings,
        ])
        #expect(
            error.problems.map(\.path) == [
                "$.settings.taskId", "$.settings.commandStartTimeUTCTicks", "$.settings.locale",
            ])
        #expect(error.problems[0].expected == "a string")
        #expect(error.problems[0].found == "a number")
        #expect(error.problems[1].expected == HandlerSettingsParser.ticksExpectation)
        #expect(error.problems[1].found == "'yesterday'")
    }

    @Test func badDiskURINamesItsIndexAndRedactedForm() throws {
        let bad = "https://acct1.blob.core.windows.net/onlycontainer?sv=1&sig=TOPSECRETSIGNATURE"
        var protected = SettingsFormsTests.protectedSettings
        protected["objectStr"] = SettingsFixtures.base64JSON(["blobSASUri": [SettingsFormsTests.disk, bad]])
        let (error, _) = try errors(["settings": SettingsFormsTests.publicSettings(), "protectedSettings": protected])
        #expect(error.problems.count == 1)
        #expect(error.path == "$.protectedSettings.objectStr<base64>.blobSASUri[1]")
        #expect(error.expected == HandlerSettingsParser.uriExpectation)
        // The URI without its query: enough to find it, nothing that may be (or hide) a signature.
        #expect(error.problems[0].found?.contains("acct1.blob.core.windows.net/onlycontainer'") == true)
        #expect(error.problems[0].found?.contains("?") == false)
        #expect(!error.description.contains("TOPSECRETSIGNATURE"))
    }

    @Test func malformedJSONNamesThePosition() throws {
        let directory = try SettingsFixtures.temporaryDirectory("errors")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("broken.settings")
        try Data("{\"runtimeSettings\": [\n  {\"handlerSettings\": sig=SECRETSIG }\n]}".utf8).write(to: file)
        let error = try #require(throws: SettingsError.self) { try SettingsLoader.parse(path: file.path) }
        #expect(error.file == file.path)
        #expect(error.path == "$")
        #expect(error.expected == "JSON")
        #expect(error.problems[0].found?.hasPrefix("not valid JSON") == true)
        #expect(!error.description.contains("SECRETSIG"))
    }

    @Test func unrecognisedDocumentListsTheForms() throws {
        let (error, _) = try errors(["hello": 1, "world": 2])
        #expect(error.expected == HandlerSettingsSection.formsExpected)
        #expect(error.problems[0].found == "keys hello, world")
    }

    @Test func undecodableObjectStr() throws {
        let (error, _) = try errors([
            "settings": SettingsFormsTests.publicSettings(objectStr: "!!not anything!!"),
            "protectedSettings": SettingsFormsTests.protectedSettings,
        ])
        #expect(error.path == "$.settings.objectStr")
        #expect(error.expected == ObjectString.expectation)
    }

    @Test func invalidLUNListIsCode17() throws {
        let object: [String: Any] = ["includedDisks": ["dataDiskLunList": [0, "one"]]]
        let (error, _) = try errors([
            "settings": SettingsFormsTests.publicSettings(objectStr: SettingsFixtures.base64JSON(object)),
            "protectedSettings": SettingsFormsTests.protectedSettings,
        ])
        #expect(error.resultCode == 17)
        #expect(error.path == "$.settings.objectStr<base64>.includedDisks.dataDiskLunList[1]")
    }

    @Test func missingFile() throws {
        let error = try #require(throws: SettingsError.self) {
            try SettingsLoader.parse(path: "/nonexistent/vmsnap/0.settings")
        }
        #expect(
            error.description
                == "/nonexistent/vmsnap/0.settings: $: expected a settings file or a plugin directory, found nothing")
    }
}
