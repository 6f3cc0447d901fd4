import Basics
import Engine
import Foundation

/// The snapshot extension's plugin directory on a VM (`/var/lib/waagent/<Name>-<version>`): status files,
/// settings and HandlerEnvironment.json, read without ever showing a signature. A damaged HandlerEnvironment.json
/// does not stop the monitor: the folders fall back to the plugin directory's own `status/` and `config/` and the
/// configuration's log directory, and `environmentProblem` says what is wrong.
public struct PluginDirectory: Sendable, Equatable {
    /// The extension's name, the prefix of its plugin directory.
    public static let extensionName = ExtensionIdentity.name
    /// Where the guest agent keeps plugin directories: the folder of the configuration's default plugin glob.
    public static let defaultAgentDirectory =
        (VMSnapConfiguration.defaults.pluginDirectory as NSString).deletingLastPathComponent

    public let path: String
    /// HandlerEnvironment.json as `HandlerEnvironment.load` reads it; nil when the directory has none.
    public let environment: Result<HandlerEnvironment, SettingsError>?

    public init(path: String) {
        self.path = path
        let file = (path as NSString).appendingPathComponent(HandlerEnvironment.fileName)
        environment =
            FileManager.default.fileExists(atPath: file)
            ? Result { () throws(SettingsError) in try HandlerEnvironment.load(path: file) } : nil
    }

    public static func == (lhs: PluginDirectory, rhs: PluginDirectory) -> Bool { lhs.path == rhs.path }

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

    /// What is wrong with HandlerEnvironment.json (file, JSON path, what was expected), when it is damaged.
    public var environmentProblem: String? {
        guard case .failure(let error) = environment else { return nil }
        return Redactor.redact("\(HandlerEnvironment.fileName) unusable, using the default folders: \(error)")
    }

    private var validEnvironment: HandlerEnvironment? { try? environment?.get() }

    /// Where status files go: HandlerEnvironment.json's `statusFolder`, else `status/`.
    public var statusDirectory: String {
        validEnvironment?.statusFolder ?? (path as NSString).appendingPathComponent("status")
    }

    /// Where settings files are: HandlerEnvironment.json's `configFolder`, else `config/`.
    public var configDirectory: String {
        validEnvironment?.configFolder ?? (path as NSString).appendingPathComponent("config")
    }

    /// extension.log's folder: HandlerEnvironment.json's `logFolder`, else the configuration's default.
    public var logDirectory: String { validEnvironment?.logFolder ?? VMSnapConfiguration.defaults.logDirectory }

    /// `<statusDirectory>/<N>.status` with the highest N.
    public var newestStatus: (sequence: Int, path: String)? { newest(in: statusDirectory, suffix: ".status") }
    /// `<configDirectory>/<N>.settings` with the highest N.
    public var newestSettings: (sequence: Int, path: String)? { newest(in: configDirectory, suffix: ".settings") }

    /// The job for the newest settings, through the engine's entry point: settings it refuses still end with a
    /// terminal status in `statusDirectory`, and a repeated task is caught through the state kept in this directory.
    public func snapshotJob(
        options: SnapshotJobOptions, client: BlobClient = BlobClient(), log: ExtensionLog? = nil
    ) -> SnapshotJob {
        var options = options
        options.statusDirectory = statusDirectory
        options.stateDirectory = path
        return SnapshotJob.load(settingsPath: path, options: options, client: client, log: log)
    }

    /// Reads the newest status file into a snapshot (nil when there is none).
    public func readNewestStatus() throws(StatusDocumentError) -> JobSnapshot? {
        guard let newest = newestStatus else { return nil }
        // Refused by its size before it is read: a huge file would take seconds and hundreds of MiB to parse.
        let size = (try? FileManager.default.attributesOfItem(atPath: newest.path)[.size] as? Int) ?? nil
        if let size, size > StatusDocumentReader.maximumBytes {
            throw StatusDocumentReader.tooLarge(source: newest.path, bytes: size)
        }
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

    private func newest(in directory: String, suffix: String) -> (sequence: Int, path: String)? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let numbered = names.compactMap { name -> (Int, String)? in
            guard name.hasSuffix(suffix), let n = Int(name.dropLast(suffix.count)) else { return nil }
            return (n, (directory as NSString).appendingPathComponent(name))
        }
        return numbered.max { $0.0 < $1.0 }.map { (sequence: $0.0, path: $0.1) }
    }
}
