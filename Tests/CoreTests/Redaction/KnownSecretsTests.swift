import Core
import Foundation
import TestSupport
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

/// Redaction by value: a signature the process has seen is masked wherever it appears, however encoded, and
/// validation messages never echo what may be a signature.
@Suite struct KnownSecretsTests {
    static let future = "2099-01-01T00%3A00%3A00Z"

    @Test func everyEncodingOfAKnownSignatureIsMasked() throws {
        let raw = "Kn0wnSig%2Bvalue%2Fwith%3D%3D" + UUID().uuidString.prefix(8)
        let uri = try SASBlobURI(
            "https://a.blob.core.windows.net/vhds/d.vhd?sv=2020-12-06&sp=rw&se=\(Self.future)&sig=\(raw)")
        let decoded = try #require(uri.parameters["sig"])
        let twice = raw.replacingOccurrences(of: "%", with: "%25")
        let forms = [
            raw, decoded, raw.replacingOccurrences(of: "%2B", with: "%2b").replacingOccurrences(of: "%3D", with: "%3d"),
            twice,
            decoded.replacingOccurrences(of: "/", with: "\\/"),
        ]
        for form in forms {
            let text = "next=https%253A%252F%252Fx%252Fy%253Fsv%253D1%2526sig%253D\(form)%2526sp%253Dr and \(form)."
            let redacted = Redactor.redact(text)
            #expect(!redacted.contains(form), "\(form) survived: \(redacted)")
            #expect(!redacted.contains("Kn0wnSig"))
        }
    }

    /// A `sig=` inside a URI's path (after a name character, so no pattern sees it) went into `blobUri` raw.
    @Test func aSignatureInThePathIsMaskedInEveryOutput() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let secret = "PathSig" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let disk = try SASBlobURI(scenario.diskURIs[0])
        let hostile =
            "http://127.0.0.1:\(disk.port!)/\(disk.account)/\(disk.container)/disk0.sig=\(secret)?\(disk.query)"
        let file = try scenario.writeSettingsFile(
            to: scenario.directory.appendingPathComponent("0.settings"), disks: [hostile])
        let result = await SnapshotJob.load(settingsPath: file.path, options: scenario.options()).run()
        #expect(result.code == 76, "the blob does not exist: \(result.message)")
        let outputs = [
            String(decoding: try #require(scenario.blob(SnapshotScenario.statusBlob)), as: UTF8.self),
            try String(contentsOfFile: scenario.statusDirectory + "/0.status", encoding: .utf8),
            try String(contentsOfFile: scenario.logDirectory + "/extension.log", encoding: .utf8),
            "\(result)",
        ]
        for output in outputs {
            #expect(!output.contains(secret), "\(output)")
        }
        #expect(outputs[0].contains("disk0.sig=REDACTED"))
    }

    /// A truncated URI whose signature merged into `se`: the error says what is wrong without the value.
    @Test func aSignatureMergedIntoSeIsNotEchoed() throws {
        let tail = "TruncatedTail" + UUID().uuidString.prefix(8) + "%2Bq%3D"
        let uri = "https://a.blob.core.windows.net/vhds/d.vhd?sv=2014-02-14&sr=b&sp=rw&se=\(Self.future)\(tail)"
        let violations = SASPolicy.violations(try SASBlobURI(uri), for: .snapshot).map(\.description)
        let text = violations.joined(separator: "\n")
        #expect(text.contains("an ISO 8601 expiry (se)") && text.contains("not shown"), "\(text)")
        #expect(!text.contains("TruncatedTail"))
        let bad = "https://a.blob.core.windows.net/vhds/d.vhd?sv=2014-02-14&sp=\(tail)&se=\(Self.future)&sig=x"
        let permissions = SASPolicy.violations(try SASBlobURI(bad), for: .snapshot).map(\.description)
        #expect(!permissions.joined().contains("TruncatedTail"), "\(permissions)")
        #expect(
            SASPolicy.violations(try SASBlobURI(bad.replacingOccurrences(of: tail, with: "r")), for: .snapshot)
                .map(\.description) == ["expected permissions with 'c' or 'w' for snapshot, found sp=r"])
    }

    @Test func uriErrorsNeverEchoTextThatMayBeASignature() {
        for text in ["Zm9vYmFyU2lnbmF0dXJlVmFsdWU=", "ftp://h/a/b?sig=Zm9vYmFy", "https://user:Pa55word@h:x/c/b"] {
            do {
                _ = try SASBlobURI(text)
                Issue.record("\(text) parsed")
            } catch {
                #expect(!error.description.contains("Zm9vYmFy") && !error.description.contains("Pa55word"))
            }
        }
    }

    @Test func theSnapshotTaskTokenIsASecret() throws {
        let directory = try SettingsFixtures.temporaryDirectory("token")
        defer { try? FileManager.default.removeItem(at: directory) }
        let token = "TaskToken-" + UUID().uuidString
        var protectedSettings = SettingsFixtures.seedProtectedSettings
        protectedSettings["objectStr"] =
            "{" + SettingsFixtures.seedBlobSASUriFragment + #", "snapshotTaskToken": "\#(token)"}"#
        let file = try SettingsFixtures.write(
            SettingsFixtures.runtimeSettings(
                publicSettings: SettingsFixtures.seedPublicSettings, protectedSettings: protectedSettings),
            to: directory.appendingPathComponent("0.settings"))
        let loaded = try SettingsLoader.parse(path: file.path)
        #expect(loaded.settings.snapshotTaskToken == token)
        #expect(Redactor.redact("the token was \(token)") == "the token was REDACTED")
    }

    @Test func shortValuesAreNotRemembered() {
        KnownSecrets.remember("abc")
        #expect(Redactor.redact("abc abcdef") == "abc abcdef")
    }
}
