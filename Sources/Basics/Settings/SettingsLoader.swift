import Foundation

/// Turns every way a job's settings reach a VM into one validated `JobSettings`.
///
/// Accepted: a plugin directory (with `HandlerEnvironment.json` or `config/`), `HandlerEnvironment.json`,
/// `config/N.settings`, the ARM resource form, a bare `{settings, protectedSettings}` object and a bare
/// `handlerSettings` object. Errors name the file, the JSON path and what was expected.
public enum SettingsLoader {
    /// Where the guest agent keeps `<THUMBPRINT>.crt` and `.prv`.
    public static let defaultCertificateDirectory = "/var/lib/waagent"
    /// The environment variable through which the agent passes the sequence number.
    public static let sequenceNumberVariable = "ConfigSequenceNumber"

    /// Loads, decrypts and validates settings, then runs the pre-job checks (SAS transport, validity and
    /// permissions; command; at least one disk). A failed check throws with `settings` set. Either way the error's
    /// `uploadTargets` (and `settings`) keep only status and log URIs that pass their own checks.
    public static func load(
        path: String, sequenceNumber: Int? = nil, certificateDirectory: String = defaultCertificateDirectory,
        environment: [String: String] = ProcessInfo.processInfo.environment, now: Date = Date()
    ) throws(SettingsError) -> JobSettings {
        let loaded: LoadedSettings
        do throws(SettingsError) {
            loaded = try parse(
                path: path, sequenceNumber: sequenceNumber, certificateDirectory: certificateDirectory,
                environment: environment)
        } catch {
            var refusal = error
            refusal.uploadTargets = error.uploadTargets.checked(now: now)
            throw refusal
        }
        let problems = loaded.checks(now: now)
        guard problems.isEmpty else {
            let targets = UploadTargets(loaded.targets).checked(now: now)
            var settings = loaded.settings
            settings.statusBlob = targets.statusBlob
            settings.logsBlob = targets.logsBlob
            throw SettingsError(problems, settings: settings, uploadTargets: targets)
        }
        return loaded.settings
    }

    /// The sequence number a job in `pluginDirectory` is for: `ConfigSequenceNumber`, else the N of the newest
    /// `config/N.settings`; nil when neither says.
    public static func sequenceNumber(
        pluginDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Int? {
        if let text = environment[sequenceNumberVariable] {
            return SettingsLocation.sequenceNumber(environmentValue: text)
        }
        let location = SettingsLocation(sequenceNumber: nil, environment: environment)
        guard let (file, _) = try? location.settingsFile(inPluginDirectory: pluginDirectory) else { return nil }
        return SettingsLocation.sequenceNumber(ofFile: file)
    }

    /// Loads, decrypts and validates the settings' structure without the time-dependent pre-job checks.
    public static func parse(
        path: String, sequenceNumber: Int? = nil, certificateDirectory: String = defaultCertificateDirectory,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(SettingsError) -> LoadedSettings {
        let location = SettingsLocation(sequenceNumber: sequenceNumber, environment: environment)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw SettingsError(
                file: path, path: "$", expected: "a settings file or a plugin directory", found: "nothing")
        }
        if isDirectory.boolValue {
            let (file, environmentFile) = try location.settingsFile(inPluginDirectory: path)
            return try parseSettingsFile(
                file, form: .pluginDirectory, handlerEnvironment: environmentFile,
                certificateDirectory: certificateDirectory)
        }
        let root = try JSONNode.read(file: path)
        if HandlerEnvironment.looksLike(root) {
            let handlerEnvironment = try HandlerEnvironment.parse(root)
            let file = try location.settingsFile(for: handlerEnvironment)
            return try parseSettingsFile(
                file, form: .handlerEnvironment, handlerEnvironment: handlerEnvironment,
                certificateDirectory: certificateDirectory)
        }
        return try parseDocument(root, handlerEnvironment: nil, certificateDirectory: certificateDirectory)
    }

    private static func parseSettingsFile(
        _ file: String, form: SettingsForm, handlerEnvironment: HandlerEnvironment?, certificateDirectory: String
    ) throws(SettingsError) -> LoadedSettings {
        var loaded = try parseDocument(
            JSONNode.read(file: file), handlerEnvironment: handlerEnvironment,
            certificateDirectory: certificateDirectory)
        loaded.form = form
        return loaded
    }

    /// Recognises the form of a settings document and parses it.
    static func parseDocument(
        _ root: JSONNode, handlerEnvironment: HandlerEnvironment?, certificateDirectory: String
    ) throws(SettingsError) -> LoadedSettings {
        let (form, section) = try HandlerSettingsSection.locate(in: root)
        var parser = HandlerSettingsParser(section: section, certificateDirectory: certificateDirectory)
        let settings = try parser.parse(sequenceNumber: SettingsLocation.sequenceNumber(ofFile: root.file))
        return LoadedSettings(
            settings: settings, form: form, file: root.file, handlerEnvironment: handlerEnvironment,
            protectedSettingsEncrypted: parser.decrypted, targets: parser.targets, commandPath: parser.commandPath,
            diskListPath: parser.diskListPath)
    }
}

/// The form in which settings were given.
public enum SettingsForm: String, Sendable, Codable {
    /// A plugin directory (HandlerEnvironment.json or config/*.settings inside).
    case pluginDirectory = "plugin directory"
    /// HandlerEnvironment.json pointing at config/N.settings.
    case handlerEnvironment = "HandlerEnvironment.json"
    /// `{"runtimeSettings":[{"handlerSettings":{...}}]}` (config/N.settings).
    case runtimeSettings = "config/N.settings"
    /// `{"handlerSettings":{...}}` or a bare `{publicSettings, protectedSettings, ...}`.
    case handlerSettings = "handlerSettings"
    /// `{"type":"extensions","name":"VMSnapshot","properties":{"settings":...,"protectedSettings":...}}`.
    case armResource = "ARM resource"
    /// `{"settings":{...},"protectedSettings":{...}}`.
    case bare = "settings object"
}

/// One SAS URI of a job with what it is for and where it was given.
public struct SASTarget: Sendable {
    /// Which URI of the job this is.
    public enum Role: Sendable, Equatable, CustomStringConvertible {
        case disk(Int)
        case status
        case logs

        public var description: String {
            switch self {
            case .disk(let index): "disk \(index)"
            case .status: "status blob"
            case .logs: "log blob"
            }
        }
    }

    public var role: Role
    /// The JSON path where it was given.
    public var path: String
    public var uri: SASBlobURI

    /// The permission purpose this role needs.
    public var purpose: SASPurpose {
        switch role {
        case .disk: .snapshot
        case .status: .statusUpload
        case .logs: .logUpload
        }
    }
}

/// Parsed settings with where and how they were found, before the time-dependent checks.
public struct LoadedSettings: Sendable {
    public var settings: JobSettings
    public var form: SettingsForm
    /// The settings file actually read.
    public var file: String
    public var handlerEnvironment: HandlerEnvironment?
    /// Whether protectedSettings were CMS-encrypted (and decrypted in memory).
    public var protectedSettingsEncrypted: Bool
    /// Every SAS URI with its role and JSON path.
    public var targets: [SASTarget]
    /// JSON path of `commandToExecute`.
    public var commandPath: String
    /// JSON path of `blobSASUri` (or where it was expected).
    public var diskListPath: String

    /// The pre-job checks: command, at least one disk (unless an includedDisks flag sends the job to the host, which
    /// needs no SAS URI), and every SAS URI's transport, validity and permissions.
    public func checks(now: Date) -> [InputProblem] {
        var problems: [InputProblem] = []
        switch settings.commandKind {
        case .unsupported:
            problems.append(
                InputProblem(
                    file: file, path: commandPath, expected: "a command containing 'snapshot' or 'install'",
                    found: "'\(settings.command)'"))
        case .snapshot where settings.disks.isEmpty && settings.host.forcingDiskFlag == nil:
            problems.append(
                InputProblem(
                    file: file, path: diskListPath, expected: "at least one disk SAS URI",
                    found: "none", code: 76))
        case .snapshot, .install: break
        }
        for target in targets {
            for violation in SASPolicy.violations(target.uri, for: target.purpose, now: now) {
                problems.append(
                    InputProblem(
                        file: file, path: target.path, expected: violation.expected,
                        found: "\(violation.found) (\(target.role): \(target.uri.blobURI))"))
            }
        }
        return problems
    }
}
