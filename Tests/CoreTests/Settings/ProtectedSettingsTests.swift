import Core
import Foundation
import TestSupport
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

/// Protected settings encrypted with real CMS (openssl smime -des3) to a generated self-signed certificate.
@Suite struct ProtectedSettingsTests {
    let directory: URL
    let certificate: TestCertificate

    init() throws {
        directory = try SettingsFixtures.temporaryDirectory("cms")
        certificate = try TestCertificate.generate(in: directory)
    }

    func writeSettings(protectedSettings: Any, thumbprint: String) throws -> URL {
        try SettingsFixtures.write(
            SettingsFixtures.runtimeSettings(
                publicSettings: SettingsFormsTests.publicSettings(), protectedSettings: protectedSettings,
                thumbprint: thumbprint),
            to: directory.appendingPathComponent("plugin/config/3.settings"))
    }

    @Test func decryptsInMemoryAndParses() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let encrypted = try certificate.encrypt(SettingsFormsTests.protectedSettings)
        let file = try writeSettings(protectedSettings: encrypted, thumbprint: certificate.thumbprint)
        let before = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        let loaded = try SettingsLoader.parse(path: file.path, certificateDirectory: directory.path)
        #expect(loaded.protectedSettingsEncrypted)
        #expect(loaded.settings.sequenceNumber == 3)
        #expect(loaded.settings.disks.map(\.original) == [SettingsFormsTests.disk])
        #expect(loaded.settings.statusBlob?.original == SettingsFormsTests.status)
        #expect(loaded.settings.logsBlob?.original == SettingsFormsTests.logs)
        #expect(loaded.targets[0].path.contains("protectedSettings<decrypted>.objectStr<base64>.blobSASUri[0]"))
        // Nothing new appeared next to the certificate (no plaintext on disk).
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == before)
    }

    @Test func decryptsTheSeedsProtectedSettingsThroughAPluginDirectory() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let encrypted = try certificate.encrypt(SettingsFixtures.seedProtectedSettings)
        try SettingsFixtures.write(
            SettingsFixtures.runtimeSettings(
                publicSettings: SettingsFixtures.seedPublicSettings, protectedSettings: encrypted,
                thumbprint: certificate.thumbprint.lowercased()),
            to: directory.appendingPathComponent("plugin/config/0.settings"))
        let settings = try SettingsLoader.load(
            path: directory.appendingPathComponent("plugin").path, certificateDirectory: directory.path,
            environment: [:], now: SettingsFixtures.seedValidAt)
        #expect(settings.disks.map(\.original) == SettingsFixtures.seedDiskURIs)
        #expect(settings.taskID == SettingsFixtures.seedTaskID)
    }

    @Test func missingCertificateIsCode16NamingThePath() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let encrypted = try certificate.encrypt(SettingsFormsTests.protectedSettings)
        let file = try writeSettings(
            protectedSettings: encrypted, thumbprint: "00112233445566778899AABBCCDDEEFF00112233")
        let error = try #require(throws: SettingsError.self) {
            try SettingsLoader.parse(path: file.path, certificateDirectory: directory.path)
        }
        #expect(error.resultCode == 16)
        #expect(error.file == file.path)
        #expect(error.path == "$.runtimeSettings[0].handlerSettings.protectedSettingsCertThumbprint")
        #expect(error.expected.contains("00112233445566778899AABBCCDDEEFF00112233.crt"))
        #expect(error.problems[0].found?.hasSuffix(".crt missing") == true)
        #expect(ErrorCatalog.resultCode(error.resultCode)?.name == "FailedHandlerGuestAgentCertificateNotFound")
    }

    @Test func envelopeForAnotherCertificateIsCode16() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let other = try TestCertificate.generate(in: directory, commonName: "other")
        let encrypted = try other.encrypt(SettingsFormsTests.protectedSettings)
        let file = try writeSettings(protectedSettings: encrypted, thumbprint: certificate.thumbprint)
        let error = try #require(throws: SettingsError.self) {
            try SettingsLoader.parse(path: file.path, certificateDirectory: directory.path)
        }
        #expect(error.resultCode == 16)
        #expect(error.path == "$.runtimeSettings[0].handlerSettings.protectedSettings")
        #expect(error.problems[0].found?.hasPrefix("decryption failed") == true)
    }

    @Test func certificateNotMatchingItsThumbprintIsRejected() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let other = try TestCertificate.generate(in: directory, commonName: "other")
        let manager = FileManager.default
        for suffix in [".crt", ".prv"] {
            let target = directory.appendingPathComponent(certificate.thumbprint + suffix)
            try manager.removeItem(at: target)
            try manager.copyItem(at: directory.appendingPathComponent(other.thumbprint + suffix), to: target)
        }
        let encrypted = try other.encrypt(SettingsFormsTests.protectedSettings)
        let file = try writeSettings(protectedSettings: encrypted, thumbprint: certificate.thumbprint)
        let error = try #require(throws: SettingsError.self) {
            try SettingsLoader.parse(path: file.path, certificateDirectory: directory.path)
        }
        #expect(error.resultCode == 16)
        #expect(error.problems[0].found == other.thumbprint)
    }

    @Test func passphraseProtectedKeyFailsWithoutPrompting() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = directory.appendingPathComponent(certificate.thumbprint + ".prv")
        let encryptedKey = directory.appendingPathComponent("encrypted.pem")
        let conversion = try await ProcessOutput.run(
            URL(fileURLWithPath: "/usr/bin/openssl"),
            ["pkcs8", "-topk8", "-in", key.path, "-out", encryptedKey.path, "-passout", "pass:secret"])
        #expect(conversion.status == 0, "\(conversion.stderr)")
        try FileManager.default.removeItem(at: key)
        try FileManager.default.moveItem(at: encryptedKey, to: key)
        let encrypted = try certificate.encrypt(SettingsFormsTests.protectedSettings)
        let file = try writeSettings(protectedSettings: encrypted, thumbprint: certificate.thumbprint)
        let error = try #require(throws: SettingsError.self) {
            try SettingsLoader.parse(path: file.path, certificateDirectory: directory.path)
        }
        #expect(error.resultCode == 16)
        #expect(error.problems[0].found?.hasPrefix(key.path + ": ") == true)
    }

    @Test func garbageInsteadOfBase64() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try writeSettings(protectedSettings: "%%% not base64 %%%", thumbprint: certificate.thumbprint)
        let error = try #require(throws: SettingsError.self) {
            try SettingsLoader.parse(path: file.path, certificateDirectory: directory.path)
        }
        #expect(error.resultCode == 11)
        #expect(error.expected == "base64 of a DER CMS envelope")
    }

    @Test func encryptedStringWithoutThumbprintIsAnError() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let encrypted = try certificate.encrypt(SettingsFormsTests.protectedSettings)
        let file = try SettingsFixtures.write(
            ["settings": SettingsFormsTests.publicSettings(), "protectedSettings": encrypted],
            to: directory.appendingPathComponent("bare.json"))
        let error = try #require(throws: SettingsError.self) { try SettingsLoader.parse(path: file.path) }
        #expect(error.path == "$.protectedSettings")
        #expect(error.problems[0].found == "a string and no protectedSettingsCertThumbprint")
    }
}
