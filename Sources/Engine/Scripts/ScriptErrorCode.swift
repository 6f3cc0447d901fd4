import Basics

/// The extension result codes of the script plugin (300...318, see error-codes.md).
public enum ScriptErrorCode {
    public static let preScriptFailed = 300
    public static let postScriptFailed = 301
    public static let preScriptNotFound = 302
    public static let postScriptNotFound = 303
    public static let pluginConfigParsing = 305
    public static let preScriptPermission = 306
    public static let postScriptPermission = 307
    public static let preScriptTimeout = 308
    public static let postScriptTimeout = 309
    public static let pluginConfigNotFound = 316
    public static let pluginConfigPermission = 317
    public static let pluginConfigOwnership = 318
}

/// Which of the two scripts; picks the matching code of each pair.
public enum ScriptPhase: String, Sendable {
    case pre, post

    var failedCode: Int { self == .pre ? ScriptErrorCode.preScriptFailed : ScriptErrorCode.postScriptFailed }
    var notFoundCode: Int { self == .pre ? ScriptErrorCode.preScriptNotFound : ScriptErrorCode.postScriptNotFound }
    var permissionCode: Int {
        self == .pre ? ScriptErrorCode.preScriptPermission : ScriptErrorCode.postScriptPermission
    }
    var timeoutCode: Int { self == .pre ? ScriptErrorCode.preScriptTimeout : ScriptErrorCode.postScriptTimeout }
}
