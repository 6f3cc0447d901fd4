import Foundation

/// `HandlerEnvironment.json`, written by the guest agent: where the extension's logs, config and status go.
public struct HandlerEnvironment: Sendable, Equatable {
    /// The file name the agent uses.
    public static let fileName = "HandlerEnvironment.json"

    /// The handler's name, e.g. `Microsoft.Azure.RecoveryServices.VMSnapshotLinux`.
    public var name: String?
    /// The schema version (1.0), as written.
    public var version: String?
    public var logFolder: String
    public var configFolder: String
    public var statusFolder: String
    public var heartbeatFile: String?
    public var eventsFolder: String?
    /// The file this was read from.
    public var source: String

    public init(
        name: String? = nil, version: String? = nil, logFolder: String, configFolder: String, statusFolder: String,
        heartbeatFile: String? = nil, eventsFolder: String? = nil, source: String
    ) {
        self.name = name
        self.version = version
        self.logFolder = logFolder
        self.configFolder = configFolder
        self.statusFolder = statusFolder
        self.heartbeatFile = heartbeatFile
        self.eventsFolder = eventsFolder
        self.source = source
    }

    /// Reads `HandlerEnvironment.json` from a file path or from the plugin directory that holds it.
    /// Relative folders are resolved against the file's directory.
    public static func load(path: String) throws(SettingsError) -> HandlerEnvironment {
        var isDirectory: ObjCBool = false
        let file =
            FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            ? (path as NSString).appendingPathComponent(fileName) : path
        return try parse(JSONNode.read(file: file))
    }

    package static func parse(_ root: JSONNode) throws(SettingsError) -> HandlerEnvironment {
        let first: JSONNode
        switch root.value {
        case .array:
            guard let element = try root.array().first else {
                throw root.error(expected: "an array with one handler object", found: "an empty array")
            }
            first = element
        case .object:
            first = root
        default:
            throw root.error(expected: "an array with one handler object", found: root.value.kindDescription)
        }
        let environment = try first.required("handlerEnvironment")
        _ = try environment.object()
        let base = (root.file as NSString).deletingLastPathComponent
        func folder(_ key: String) throws(SettingsError) -> String {
            resolve(try environment.required(key).nonEmptyString(), base: base)
        }
        func optionalFolder(_ key: String) throws(SettingsError) -> String? {
            guard let node = environment[key] else { return nil }
            return resolve(try node.nonEmptyString(), base: base)
        }
        let version: String? =
            switch first["version"]?.value {
            case .string(let text): text
            case .number(let number): String(number)
            case .integer(let number): "\(number).0"
            default: nil
            }
        return HandlerEnvironment(
            name: try first["name"]?.string(), version: version, logFolder: try folder("logFolder"),
            configFolder: try folder("configFolder"), statusFolder: try folder("statusFolder"),
            heartbeatFile: try optionalFolder("heartbeatFile"), eventsFolder: try optionalFolder("eventsFolder"),
            source: root.file)
    }

    private static func resolve(_ path: String, base: String) -> String {
        path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path)
    }
}

extension HandlerEnvironment {
    /// Whether a parsed document is HandlerEnvironment.json (an array whose first object has
    /// `handlerEnvironment`).
    package static func looksLike(_ root: JSONNode) -> Bool {
        guard case .array(let items) = root.value, case .object(let members)? = items.first else { return false }
        return members["handlerEnvironment"] != nil
    }
}
