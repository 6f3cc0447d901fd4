import Foundation
import TestSupport
import Testing

/// Runs the built `vmsnap config validate` on every kind of input and proves no output carries a signature.
@Suite struct ConfigValidateEndToEndTests {
    static let future = "2099-01-01T00%3A00%3A00Z"
    static let disks = [
        "https://acct1.blob.core.windows.net/vhds/os.vhd?sv=2020-12-06&sr=b&sp=rw&se=\(future)&sig=ZGlza09uZVNlY3JldA%3D%3D",
        "https://acct2.blob.core.windows.net/vhds/data0.vhd?sv=2020-12-06&sr=b&sp=cw&se=\(future)&sig=dGhlU2Vjb25kRGlzaw%2B%2F",
    ]
    static let status =
        "https://acct1.blob.core.windows.net/status/job.status?sv=2020-12-06&sr=b&sp=rcw&se=\(future)&sig=c3RhdHVzU2VjcmV0"
    static let logs =
        "https://acct1.blob.core.windows.net/status/job.log?sv=2020-12-06&sr=b&sp=w&se=\(future)&sig=bG9nU2VjcmV0Li4u"

    let directory: URL

    init() throws { directory = try SettingsFixtures.temporaryDirectory("validate-e2e") }

    /// Every `sig` value in a text, as written and percent-decoded.
    static func signatures(in text: String) -> Set<String> {
        let unescaped = text.replacingOccurrences(of: "\\/", with: "/")
        let regex = try! NSRegularExpression(pattern: #"sig=([^&"\s\\]+)"#, options: [.caseInsensitive])
        var values = Set<String>()
        for match in regex.matches(in: unescaped, range: NSRange(unescaped.startIndex..., in: unescaped)) {
            let value = String(unescaped[Range(match.range(at: 1), in: unescaped)!])
            values.insert(value)
            if let decoded = value.removingPercentEncoding { values.insert(decoded) }
        }
        return values
    }

    /// Runs `config validate` as text and as JSON and checks exit status and that no signature leaks.
    func validate(_ path: URL, inputs: [String], expectValid: Bool, extra: [String] = []) async throws -> (
        String, String
    ) {
        let signatures = inputs.reduce(into: Set<String>()) { $0.formUnion(Self.signatures(in: $1)) }
        #expect(!signatures.isEmpty || inputs.isEmpty)
        var outputs: [String] = []
        for json in [false, true] {
            let result = try await BuiltBinary.run(
                ["config", "validate", path.path] + extra + (json ? ["--json"] : []))
            #expect(result.status == (expectValid ? 0 : 1), "\(result.stdout)\(result.stderr)")
            let output = result.stdout + result.stderr
            #expect(!output.isEmpty)
            for signature in signatures {
                #expect(!output.contains(signature), "signature leaked in \(json ? "--json" : "text") output")
            }
            outputs.append(output)
        }
        return (outputs[0], outputs[1])
    }

    @Test func encryptedPluginDirectorySucceedsWithoutLeakingSignatures() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificates = directory.appendingPathComponent("waagent")
        try FileManager.default.createDirectory(at: certificates, withIntermediateDirectories: true)
        let certificate = try TestCertificate.generate(in: certificates)
        let protected: [String: Any] = [
            "objectStr": SettingsFixtures.base64JSON(["blobSASUri": Self.disks]), "statusBlobUri": Self.status,
            "logsBlobUri": Self.logs,
        ]
        let plugin = directory.appendingPathComponent("plugin")
        try SettingsFixtures.write(
            SettingsFixtures.handlerEnvironment(pluginDirectory: plugin),
            to: plugin.appendingPathComponent("HandlerEnvironment.json"))
        let ticks = String(621_355_968_000_000_000 + Int64(Date().timeIntervalSince1970 - 600) * 10_000_000)
        try SettingsFixtures.write(
            SettingsFixtures.runtimeSettings(
                publicSettings: [
                    "taskId": "job-42_1", "commandToExecute": "snapshot", "commandStartTimeUTCTicks": ticks,
                    "vmType": "microsoft.compute/virtualmachines",
                ],
                protectedSettings: try certificate.encrypt(protected), thumbprint: certificate.thumbprint),
            to: plugin.appendingPathComponent("config/4.settings"))
        let (text, json) = try await validate(
            plugin, inputs: Self.disks + [Self.status, Self.logs], expectValid: true,
            extra: ["--certificate-directory", certificates.path])
        #expect(text.contains("task         job-42_1"))
        #expect(text.contains("sequence     4"))
        #expect(text.contains("CMS-encrypted, decrypted in memory"))
        #expect(text.contains("disk 1: acct2 / vhds / data0.vhd  sp=cw  expires 2099-01-01T00:00:00Z"))
        #expect(text.contains("start time   ") && text.contains("10m ago"))
        #expect(text.hasSuffix("valid\n"))
        let report = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(report?["valid"] as? Bool == true)
        let settings = report?["settings"] as? [String: Any]
        #expect((settings?["disks"] as? [[String: Any]])?.map { $0["account"] as? String } == ["acct1", "acct2"])
        #expect(
            (settings?["statusBlob"] as? [String: Any])?["blobUri"] as? String
                == "https://acct1.blob.core.windows.net/status/job.status")
    }

    @Test func seedSettingsFailOnExpiryWithoutLeakingSignatures() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try SettingsFixtures.write(
            SettingsFixtures.seedARMResource, to: directory.appendingPathComponent("seed.json"))
        let input = try String(contentsOf: file, encoding: .utf8)
        let (text, json) = try await validate(file, inputs: [input], expectValid: false)
        #expect(text.contains("invalid settings \(file.path): 7 errors"))
        #expect(text.contains("task         e07354cf-041e-4370-929f-25a319ce8933_1"))
        #expect(text.contains("disks        5"))
        #expect(text.contains("expected an unexpired SAS, found expired at 2017-11-09T17:38:28Z"))
        let report = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect((report?["errors"] as? [Any])?.count == 7)
        #expect(report?["valid"] as? Bool == false)
    }

    @Test func malformedURIsAreNamedWithoutLeakingSignatures() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let broken = "https://acct1.blob.core.windows.net/nocontainer?sv=2020-12-06&sig=QnJva2VuU2VjcmV0"
        let plain = "http://acct1.blob.core.windows.net/status/s?sp=w&se=\(Self.future)&sig=SHR0cFNlY3JldA"
        let file = try SettingsFixtures.write(
            [
                "settings": ["taskId": "t", "commandToExecute": "snapshot"],
                "protectedSettings": [
                    "objectStr": #""blobSASUri": ["\#(broken.replacingOccurrences(of: "/", with: "\\/"))"]"#,
                    "statusBlobUri": plain,
                ],
            ], to: directory.appendingPathComponent("broken.json"))
        let input = try String(contentsOf: file, encoding: .utf8)
        let (text, _) = try await validate(file, inputs: [input, broken, plain], expectValid: false)
        #expect(text.contains("$.protectedSettings.objectStr<json>.blobSASUri[0]: expected a SAS blob URI"))
        // The URI is named without its query: nothing there may be (or hide) a signature.
        #expect(
            text.contains("found 'https://acct1.blob.core.windows.net/nocontainer', whose path has no /CONTAINER/BLOB"))
    }

    @Test func vmsnapConfigurationFiles() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let example = BuiltBinary.packageRoot.appendingPathComponent("config.example.json")
        let (text, _) = try await validate(example, inputs: [], expectValid: true)
        #expect(text.contains("configuration \(example.path)"))
        #expect(text.contains("freezeTimeoutSeconds  60"))
        let statusURI = "https://acct1.blob.core.windows.net/status/s?sp=w&se=\(Self.future)&sig=Q29uZmlnU2VjcmV0"
        let bad = try SettingsFixtures.write(
            ["statusBlob": statusURI, "pollIntervalSeconds": 0, "colour": "red"],
            to: directory.appendingPathComponent("config.json"))
        let (badText, badJSON) = try await validate(bad, inputs: [statusURI], expectValid: false)
        #expect(badText.contains("\(bad.path): $.colour: expected one of the keys"))
        #expect(badText.contains("$.pollIntervalSeconds: expected a number of seconds from 1 to 3600, found 0"))
        #expect(badJSON.contains(#""kind" : "configuration""#))
    }

    @Test func missingCertificateExplainsCode16() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = try TestCertificate.generate(in: directory.appendingPathComponent("elsewhere"))
        let settings = try SettingsFixtures.write(
            SettingsFixtures.runtimeSettings(
                publicSettings: ["taskId": "job-16", "commandToExecute": "snapshot"],
                protectedSettings: try certificate.encrypt(["objectStr": ["blobSASUri": Self.disks]]),
                thumbprint: certificate.thumbprint),
            to: directory.appendingPathComponent("plugin/config/0.settings"))
        let empty = directory.appendingPathComponent("waagent")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let (text, json) = try await validate(
            settings, inputs: Self.disks, expectValid: false, extra: ["--certificate-directory", empty.path])
        #expect(text.contains("protectedSettingsCertThumbprint: expected the certificate \(empty.path)/"))
        #expect(
            text.hasSuffix(
                "a job would end with code 16 FailedHandlerGuestAgentCertificateNotFound: "
                    + "protected settings could not be decrypted (certificate missing)\n"))
        #expect(json.contains(#""resultCode" : 16"#))
    }

    @Test func missingPathFails() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await BuiltBinary.run([
            "config", "validate", directory.appendingPathComponent("none.json").path,
        ])
        #expect(result.status == 1)
        #expect(result.stdout.contains("expected a settings file or a plugin directory, found nothing"))
    }
}
