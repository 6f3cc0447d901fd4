import Basics
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A problem with VMSnapshotScriptPluginConfig.json: the result code (305, 316, 317, 318) and what is wrong.
public struct ScriptConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var message: String

    public var description: String { "code \(code): \(message)" }
}

/// One script of the config: where it is, its arguments, how many extra attempts it gets.
public struct ScriptSpec: Sendable, Equatable {
    /// Absolute path; empty when no script is configured for this phase.
    public var location: String
    public var parameters: [String]
    /// Extra attempts after a failure (0 = one try).
    public var retries: Int
}

/// The validated contents of VMSnapshotScriptPluginConfig.json.
public struct ScriptPluginConfig: Sendable, Equatable {
    public var preScript: ScriptSpec
    public var postScript: ScriptSpec
    /// Per script, across its attempts.
    public var timeout: Duration
    public var continueBackupOnFailure: Bool
    public var fsFreezeEnabled: Bool
    /// Accepted for compatibility; vmsnap waits on the script's exit instead of polling.
    public var pollTimeSeconds: Int
    /// What was accepted but changed, for the job log (e.g. a `timeoutInSeconds` above 1800 clamped to 1800).
    public var warnings: [String] = []
    /// `appName`, when the config names the application (telemetry `appName`); a non-text value is ignored.
    public var appName: String? = nil

    /// The longest `timeoutInSeconds` honoured; larger values are clamped to it (as Microsoft's extension does).
    public static let maximumTimeoutSeconds = 1800

    /// Checks ownership (root) and mode (no group/other bits, no owner execute), then parses and validates.
    public static func load(path: String) throws(ScriptConfigError) -> ScriptPluginConfig {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ScriptConfigError(
                code: ScriptErrorCode.pluginConfigNotFound, message: "\(path): \(SystemError.text(errno))")
        }
        guard info.st_uid == 0 else {
            throw ScriptConfigError(
                code: ScriptErrorCode.pluginConfigOwnership,
                message: "\(path) is owned by uid \(info.st_uid); it must be owned by root")
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o177 == 0 else {
            throw ScriptConfigError(
                code: ScriptErrorCode.pluginConfigPermission,
                message: "\(path) has mode \(String(mode, radix: 8)); it must be 600 (no group or other access)")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ScriptConfigError(code: ScriptErrorCode.pluginConfigParsing, message: "cannot read \(path): \(error)")
        }
        return try parse(data, path: path)
    }

    /// Parses and validates the JSON (defaults as in the spec for absent fields).
    public static func parse(_ data: Data, path: String) throws(ScriptConfigError) -> ScriptPluginConfig {
        guard let object = try? JSONDecoder().decode([String: ConfigValue].self, from: data) else {
            throw ScriptConfigError(
                code: ScriptErrorCode.pluginConfigParsing,
                message: "\(path): not a JSON object of strings, numbers, booleans and string arrays")
        }
        let fields = ConfigFields(object: object, path: path)
        var appName: String?
        if case .text(let name)? = object["appName"], !name.isEmpty { appName = name }
        let requestedTimeout = try fields.integer("timeoutInSeconds", default: 30, in: 1...Int.max)
        let timeoutSeconds = min(requestedTimeout, maximumTimeoutSeconds)
        var warnings: [String] = []
        if requestedTimeout > maximumTimeoutSeconds {
            warnings.append(
                "\(path): timeoutInSeconds \(requestedTimeout) is above \(maximumTimeoutSeconds): clamped to \(maximumTimeoutSeconds) s"
            )
        }
        return ScriptPluginConfig(
            preScript: ScriptSpec(
                location: try fields.location("preScriptLocation"),
                parameters: try fields.strings("preScriptParams"),
                retries: try fields.integer("preScriptNoOfRetries", default: 0, in: 0...100)),
            postScript: ScriptSpec(
                location: try fields.location("postScriptLocation"),
                parameters: try fields.strings("postScriptParams"),
                retries: try fields.integer("postScriptNoOfRetries", default: 0, in: 0...100)),
            timeout: .seconds(timeoutSeconds),
            continueBackupOnFailure: try fields.boolean("continueBackupOnFailure", default: true),
            fsFreezeEnabled: try fields.boolean("fsFreezeEnabled", default: true),
            pollTimeSeconds: try fields.integer("ScriptsExecutionPollTimeSeconds", default: 3, in: 1...5),
            warnings: warnings, appName: appName)
    }
}

/// A field's JSON value, whatever its type (the checks happen per field).
private enum ConfigValue: Decodable {
    case boolean(Bool), integer(Int), text(String), strings([String]), other

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            self = .boolean(flag)
        } else if let number = try? container.decode(Int.self) {
            self = .integer(number)
        } else if let text = try? container.decode(String.self) {
            self = .text(text)
        } else if let list = try? container.decode([String].self) {
            self = .strings(list)
        } else {
            self = .other
        }
    }
}

/// Typed access to the config's fields with errors that name the file, the field and what was expected.
private struct ConfigFields {
    let object: [String: ConfigValue]
    let path: String

    private func failure(_ field: String, _ expected: String) -> ScriptConfigError {
        ScriptConfigError(
            code: ScriptErrorCode.pluginConfigParsing, message: "\(path): field '\(field)' must be \(expected)")
    }

    func integer(_ field: String, default value: Int, in range: ClosedRange<Int>) throws(ScriptConfigError) -> Int {
        let number: Int?
        switch object[field] {
        case nil: return value
        case .integer(let parsed): number = parsed
        case .text(let text): number = Int(text)
        default: number = nil
        }
        guard let number, range.contains(number) else {
            let bounds =
                range.upperBound == Int.max
                ? "of at least \(range.lowerBound)" : "in \(range.lowerBound)...\(range.upperBound)"
            throw failure(field, "an integer \(bounds)")
        }
        return number
    }

    func boolean(_ field: String, default value: Bool) throws(ScriptConfigError) -> Bool {
        switch object[field] {
        case nil: return value
        case .boolean(let flag): return flag
        case .text(let text) where ["true", "false"].contains(text.lowercased()): return text.lowercased() == "true"
        default: throw failure(field, "true or false")
        }
    }

    func location(_ field: String) throws(ScriptConfigError) -> String {
        switch object[field] {
        case nil: return ""
        case .text(let text) where text.isEmpty || text.hasPrefix("/"): return text
        default: throw failure(field, "an absolute path or \"\"")
        }
    }

    func strings(_ field: String) throws(ScriptConfigError) -> [String] {
        switch object[field] {
        case nil: return []
        case .strings(let list): return list.filter { !$0.isEmpty }
        default: throw failure(field, "an array of strings")
        }
    }
}
