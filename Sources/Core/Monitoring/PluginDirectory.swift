import Foundation

/// The snapshot extension's plugin directory on a VM (`/var/lib/waagent/<Name>-<version>`): status files,
/// settings and HandlerEnvironment.json, read without ever showing a signature.
public struct PluginDirectory: Sendable, Equatable {
    /// The extension's name, the prefix of its plugin directory.
    public static let extensionName = "Microsoft.Azure.RecoveryServices.VMSnapshotLinux"
    /// Where the guest agent keeps plugin directories.
    public static let defaultAgentDirectory = "/var/lib/waagent"
    /// Where the extension logs when HandlerEnvironment.json says nothing.
    public static let defaultLogDirectory = "/var/log/azure/\(extensionName)"

    public let path: String

    public init(path: String) { self.path = path }

    /// The newest `<extensionName>-<version>` directory under the agent directory, by version.
    public static func discover(agentDirectory: String = defaultAgentDirectory) -> PluginDirectory? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: agentDirectory)) ?? []
        let candidates = names.filter { $0.hasPrefix(extensionName + "-") }
        let newest = candidates.max { version(of: $0).lexicographicallyPrecedes(version(of: $1)) }
        return newest.map { PluginDirectory(path: (agentDirectory as NSString).appendingPathComponent($0)) }
    }

    private static func version(of name: String) -> [Int] {
        name.dropFirst(extensionName.count + 1).split(separator: ".").map { Int($0) ?? 0 }
    }

    /// The version from the directory name, e.g. `1.0.9184.0`.
    public var extensionVersion: String? {
        let name = (path as NSString).lastPathComponent
        return name.hasPrefix(Self.extensionName + "-") ? String(name.dropFirst(Self.extensionName.count + 1)) : nil
    }

    /// `status/<N>.status` with the highest N.
    public var newestStatus: (sequence: Int, path: String)? { newest(in: "status", suffix: ".status") }
    /// `config/<N>.settings` with the highest N.
    public var newestSettings: (sequence: Int, path: String)? { newest(in: "config", suffix: ".settings") }

    /// `logFolder` from HandlerEnvironment.json, if the file says it.
    public var logDirectory: String? {
        let file = (path as NSString).appendingPathComponent("HandlerEnvironment.json")
        guard let data = FileManager.default.contents(atPath: file),
            let root = try? JSONSerialization.jsonObject(with: data),
            let first = (root as? [Any])?.first as? [String: Any] ?? root as? [String: Any],
            let environment = first["handlerEnvironment"] as? [String: Any]
        else { return nil }
        return environment["logFolder"] as? String
    }

    /// Reads the newest status file into a snapshot (nil when there is none).
    public func readNewestStatus() throws(StatusDocumentError) -> JobSnapshot? {
        guard let newest = newestStatus else { return nil }
        guard let data = FileManager.default.contents(atPath: newest.path) else {
            throw StatusDocumentError(source: newest.path, path: "$", expected: "a readable file")
        }
        var snapshot = try StatusDocumentReader.read(
            data, origin: .statusFile, source: newest.path, sequenceNumber: newest.sequence)
        if snapshot.extensionVersion == nil { snapshot.extensionVersion = extensionVersion }
        return snapshot
    }

    /// The newest settings file as pretty JSON with protected settings hidden and every signature redacted.
    public func redactedNewestSettings() -> String? {
        guard let newest = newestSettings, let data = FileManager.default.contents(atPath: newest.path) else {
            return nil
        }
        guard let root = try? JSONSerialization.jsonObject(with: data) else {
            return Redactor.redact(String(decoding: data.prefix(4096), as: UTF8.self))
        }
        let hidden = Self.hideProtected(root)
        let pretty =
            (try? JSONSerialization.data(withJSONObject: hidden, options: [.prettyPrinted, .sortedKeys])) ?? data
        return Redactor.redact(String(decoding: pretty, as: UTF8.self))
    }

    /// The public `statusBlobUri` of the newest settings, when it is not only in the protected settings.
    public func publicStatusBlobURI() -> String? {
        guard let newest = newestSettings, let data = FileManager.default.contents(atPath: newest.path),
            let root = try? JSONSerialization.jsonObject(with: data)
        else { return nil }
        return Self.firstValue(forKey: "statusBlobUri", in: root)
    }

    private static func firstValue(forKey key: String, in value: Any) -> String? {
        if let object = value as? [String: Any] {
            if let found = object[key] as? String { return found }
            for (_, child) in object {
                if let found = firstValue(forKey: key, in: child) { return found }
            }
        } else if let array = value as? [Any] {
            for child in array {
                if let found = firstValue(forKey: key, in: child) { return found }
            }
        }
        return nil
    }

    private static func hideProtected(_ value: Any) -> Any {
        if var object = value as? [String: Any] {
            for (key, child) in object {
                if key == "protectedSettings" {
                    let size = (child as? String)?.utf8.count
                    object[key] = size.map { "(encrypted, \($0) bytes)" } ?? "(hidden)"
                } else {
                    object[key] = hideProtected(child)
                }
            }
            return object
        }
        if let array = value as? [Any] { return array.map(hideProtected) }
        return value
    }

    private func newest(in folder: String, suffix: String) -> (sequence: Int, path: String)? {
        let directory = (path as NSString).appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let numbered = names.compactMap { name -> (Int, String)? in
            guard name.hasSuffix(suffix), let n = Int(name.dropLast(suffix.count)) else { return nil }
            return (n, (directory as NSString).appendingPathComponent(name))
        }
        return numbered.max { $0.0 < $1.0 }.map { (sequence: $0.0, path: $0.1) }
    }
}
