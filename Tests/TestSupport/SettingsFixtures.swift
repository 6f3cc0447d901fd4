import Foundation

/// Job settings files for tests: the seed's values in every form, written to a fresh temporary directory.
public enum SettingsFixtures {
    /// The seed's five disk SAS URIs exactly as its table gives them (JSON-escaped slashes `\/`).
    public static let seedBlobSASUriFragment = #"""
        "blobSASUri": ["https:\/\/sopattna5365.blob.core.windows.net\/vhds\/vmwin1404ltsc201652903941.vhd?sv=2014-02-14&sr=b&sig=TywkROXL1zvhXcLujtCut8g3jTpgbE6JpSWRLZxAdtA%3D&st=2017-11-09T14%3A23%3A28Z&se=2017-11-09T17%3A38%3A28Z&sp=rw", "https:\/\/sopattna8461.blob.core.windows.net\/vhds\/vmwin1404ltsc-20160629-122418.vhd?sv=2014-02-14&sr=b&sig=5S0A6YDWvVwqPAkzWXVy%2BS%2FqMwzFMbamT5upwx05v8Q%3D&st=2017-11-09T14%3A23%3A28Z&se=2017-11-09T17%3A38%3A28Z&sp=rw", "https:\/\/sopattna8461.blob.core.windows.net\/bootdiagnostics-vmwintu1-deb58392-ed5e-48be-9228-ff681b0cd3ee\/vmubuntu1404ltsc-20160629-122541.vhd?sv=2014-02-14&sr=b&sig=X0Me2djByksBBMVXMGIUrcycvhQSfjYvqKLeRA7nBD4%3D&st=2017-11-09T14%3A23%3A28Z&se=2017-11-09T17%3A38%3A28Z&sp=rw", "https:\/\/sopattna5365.blob.core.windows.net\/vhds\/vmwin1404ltsc-20160701-163922.vhd?sv=2014-02-14&sr=b&sig=oXvtK2IXCNqWv7fpjc7TAzFDpc1GoXtT7r%2BC%2BNIAork%3D&st=2017-11-09T14%3A23%3A28Z&se=2017-11-09T17%3A38%3A28Z&sp=rw", "https:\/\/sopattna5365.blob.core.windows.net\/vhds\/vmwin1404ltsc-20170705-124311.vhd?sv=2014-02-14&sr=b&sig=ZUM9d28Mvvm%2FfrhJ71TFZh0Ni90m38bBs3zMl%2FQ9rs0%3D&st=2017-11-09T14%3A23%3A28Z&se=2017-11-09T17%3A38%3A28Z&sp=rw"]
        """#

    /// The five disk URIs with plain slashes.
    public static var seedDiskURIs: [String] {
        let list = seedBlobSASUriFragment.drop(while: { $0 != "[" })
        let array = try! JSONSerialization.jsonObject(with: Data(list.utf8)) as! [String]
        return array
    }

    public static let seedLogsBlobUri =
        "https://seapod01coord1exsapk732.blob.core.windows.net/bcdrextensionlogs-d45d8a1c-281e-4bc8-9d30-3b25176f68ea/sopattna-vmubuntu1404ltsc.v2.Logs.txt?sv=2014-02-14&sr=b&sig=DbwYhwfeAC5YJzISgxoKk%2FEWQq2AO1vS1E0rDW%2FlsBw%3D&st=2017-11-09T14%3A33%3A29Z&se=2017-11-09T17%3A38%3A29Z&sp=rw"
    public static let seedStatusBlobUri =
        "https://seapod01coord1exsapk732.blob.core.windows.net/bcdrextensionlogs-d45d8a1c-281e-4bc8-9d30-3b25176f68ea/sopattna-vmubuntu1404ltsc.v2.Status.txt?sv=2014-02-14&sr=b&sig=96RZBpTKCjmV7QFeXm5IduB%2FILktwGbLwbWg6Ih96Ao%3D&st=2017-11-09T14%3A33%3A29Z&se=2017-11-09T17%3A38%3A29Z&sp=rw"
    public static let seedTaskID = "e07354cf-041e-4370-929f-25a319ce8933_1"
    public static let seedTicks = "6.36458E+17"
    /// A moment inside every seed SAS URI's validity window.
    public static let seedValidAt = ISO8601DateFormatter().date(from: "2017-11-09T15:00:00Z")!

    /// The seed's public settings.
    public static var seedPublicSettings: [String: Any] {
        [
            "locale": "en-us", "taskId": seedTaskID, "commandToExecute": "snapshot",
            "commandStartTimeUTCTicks": seedTicks, "vmType": "microsoft.compute/virtualmachines",
        ]
    }

    /// The seed's protected settings, objectStr un-encoded as in its table.
    public static var seedProtectedSettings: [String: Any] {
        ["objectStr": seedBlobSASUriFragment, "logsBlobUri": seedLogsBlobUri, "statusBlobUri": seedStatusBlobUri]
    }

    /// The seed's ARM resource form.
    public static var seedARMResource: [String: Any] {
        [
            "type": "extensions", "name": "VMSnapshot", "location": "westeurope",
            "properties": [
                "publisher": "Microsoft.RecoveryServices", "type": "VMSnapshot", "typeHandlerVersion": "1.9",
                "autoUpgradeMinorVersion": true, "settings": seedPublicSettings,
                "protectedSettings": seedProtectedSettings,
            ] as [String: Any],
        ]
    }

    /// `{"runtimeSettings":[{"handlerSettings":{...}}]}` around public and protected settings.
    public static func runtimeSettings(
        publicSettings: [String: Any], protectedSettings: Any?, thumbprint: String? = nil
    ) -> [String: Any] {
        var handler: [String: Any] = ["publicSettings": publicSettings]
        if let protectedSettings { handler["protectedSettings"] = protectedSettings }
        if let thumbprint { handler["protectedSettingsCertThumbprint"] = thumbprint }
        return ["runtimeSettings": [["handlerSettings": handler]]]
    }

    /// HandlerEnvironment.json for a plugin directory.
    public static func handlerEnvironment(pluginDirectory: URL) -> [[String: Any]] {
        [
            [
                "name": "Microsoft.Azure.RecoveryServices.VMSnapshotLinux", "version": 1.0,
                "handlerEnvironment": [
                    "logFolder": pluginDirectory.appendingPathComponent("log").path,
                    "configFolder": pluginDirectory.appendingPathComponent("config").path,
                    "statusFolder": pluginDirectory.appendingPathComponent("status").path,
                    "heartbeatFile": pluginDirectory.appendingPathComponent("heartbeat.log").path,
                    "eventsFolder": pluginDirectory.appendingPathComponent("events").path,
                ],
            ]
        ]
    }

    /// Base64 of a JSON object (the usual `objectStr` encoding).
    public static func base64JSON(_ object: Any) -> String {
        try! JSONSerialization.data(withJSONObject: object).base64EncodedString()
    }

    /// Writes a JSON value to a file, creating directories.
    @discardableResult
    public static func write(_ object: Any, to url: URL) throws -> URL {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted]).write(to: url)
        return url
    }

    /// A fresh temporary directory; remove it with `FileManager.default.removeItem(at:)`.
    public static func temporaryDirectory(_ label: String = "vmsnap") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// A self-signed certificate made with the openssl CLI, stored the way the guest agent stores it
/// (`<THUMBPRINT>.crt` and `.prv`, PEM with "Bag Attributes" lines, PKCS#8 key), and CMS encryption to it.
public struct TestCertificate: Sendable {
    /// Uppercase SHA-1 fingerprint.
    public let thumbprint: String
    /// The directory holding `<THUMBPRINT>.crt` and `.prv`.
    public let directory: URL
    /// The plain PEM certificate used for encryption.
    public let certificatePEM: URL
    /// The plain PEM private key (PKCS#8) beside it.
    public var keyPEM: URL { certificatePEM.deletingLastPathComponent().appendingPathComponent("key.pem") }

    /// Generates a key and certificate in `directory`.
    public static func generate(in directory: URL, commonName: String = "vmsnap-test") throws -> TestCertificate {
        let work = directory.appendingPathComponent("openssl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let certificate = work.appendingPathComponent("cert.pem")
        let key = work.appendingPathComponent("key.pem")
        try openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.path, "-out", certificate.path,
            "-days", "2", "-subj", "/CN=\(commonName)",
        ])
        let fingerprint = try openssl(["x509", "-in", certificate.path, "-noout", "-fingerprint", "-sha1"])
        let thumbprint = String(fingerprint.split(separator: "=").last ?? "")
            .replacingOccurrences(of: ":", with: "").trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        let bag = "Bag Attributes\n    localKeyID: 01 00 00 00\n    friendlyName: \(commonName)\n"
        let subject = "subject=/CN=\(commonName)\nissuer=/CN=\(commonName)\n"
        try Data((bag + subject + String(contentsOf: certificate, encoding: .utf8)).utf8)
            .write(to: directory.appendingPathComponent("\(thumbprint).crt"))
        try Data((bag + "Key Attributes: <No Attributes>\n" + String(contentsOf: key, encoding: .utf8)).utf8)
            .write(to: directory.appendingPathComponent("\(thumbprint).prv"))
        return TestCertificate(thumbprint: thumbprint, directory: directory, certificatePEM: certificate)
    }

    /// `openssl smime -encrypt -binary -des3 -outform DER` of the JSON, base64-encoded.
    public func encrypt(_ object: Any) throws -> String {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        let output = certificatePEM.deletingLastPathComponent().appendingPathComponent("envelope-\(UUID()).der")
        defer { try? FileManager.default.removeItem(at: output) }
        try Self.openssl(
            ["smime", "-encrypt", "-binary", "-des3", "-outform", "DER", "-out", output.path, certificatePEM.path],
            stdin: json)
        return try Data(contentsOf: output).base64EncodedString()
    }

    @discardableResult
    private static func openssl(_ arguments: [String], stdin: String? = nil) throws -> String {
        let result = try ProcessOutput.runWaiting(URL(fileURLWithPath: "/usr/bin/openssl"), arguments, stdin: stdin)
        guard result.status == 0 else { throw TestCertificateError(arguments: arguments, stderr: result.stderr) }
        return result.stdout
    }
}

/// The openssl CLI failed while making test material.
public struct TestCertificateError: Error, CustomStringConvertible {
    public var arguments: [String]
    public var stderr: String
    public var description: String { "openssl \(arguments.joined(separator: " ")) failed: \(stderr)" }
}
