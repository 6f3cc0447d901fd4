import Basics
import Foundation

/// What `vmsnap config validate` found: a redacted summary of job settings or of vmsnap's configuration, and
/// every error. Every text in it is redacted; it is safe to print or serialise as is.
public struct ValidationReport: Sendable, Codable {
    /// Which kind of input was recognised.
    public enum Kind: String, Sendable, Codable {
        case settings, configuration, workloadConf
    }

    /// The path that was validated.
    public var path: String
    /// What it was recognised as; nil when it could not be read or recognised.
    public var kind: Kind?
    /// Whether there are no errors.
    public var valid: Bool
    public var errors: [InputProblem]
    /// For invalid job settings: the extension result code a job would end with.
    public var resultCode: Int?
    /// Things worth knowing that do not make the input invalid.
    public var warnings: [String]
    public var settings: SettingsSummary?
    public var configuration: ConfigurationSummary?
    public var workload: WorkloadSummary?
    /// When the checks ran (ISO 8601).
    public var checkedAt: String

    init(
        path: String, kind: Kind?, errors: [InputProblem], warnings: [String] = [], settings: SettingsSummary? = nil,
        configuration: ConfigurationSummary? = nil, workload: WorkloadSummary? = nil, now: Date
    ) {
        self.path = Redactor.redact(path)
        self.kind = kind
        self.valid = errors.isEmpty
        self.errors = errors
        self.resultCode = kind == .configuration ? nil : SettingsError.resultCode(of: errors)
        self.warnings = warnings.map(Redactor.redact)
        self.settings = settings
        self.configuration = configuration
        self.workload = workload
        self.checkedAt = Timestamp.iso(now)
    }
}

/// A redacted summary of one job's settings.
public struct SettingsSummary: Sendable, Codable {
    public var form: String
    /// The settings file actually read.
    public var file: String
    public var sequenceNumber: Int?
    public var taskId: String
    public var command: String
    public var locale: String?
    public var vmType: String?
    /// `commandStartTimeUTCTicks` as given.
    public var commandStartTicks: String?
    /// The start time (ISO 8601 UTC).
    public var commandStartTime: String?
    /// Seconds between the start time and the check.
    public var ageSeconds: Int?
    public var protectedSettingsEncrypted: Bool
    public var disks: [SASTargetSummary]
    public var statusBlob: SASTargetSummary?
    public var logsBlob: SASTargetSummary?
    /// `backupMetadata` keys (values are not shown).
    public var backupMetadataKeys: [String]
    public var dataDiskLUNs: [Int]?
    public var osDiskIncluded: Bool?
    /// The plugin's folders when a HandlerEnvironment.json was read.
    public var handlerEnvironment: [String: String]?

    init(_ loaded: LoadedSettings, now: Date) {
        let settings = loaded.settings
        form = loaded.form.rawValue
        file = Redactor.redact(loaded.file)
        sequenceNumber = settings.sequenceNumber
        taskId = Redactor.redact(settings.taskID)
        command = Redactor.redact(settings.command)
        locale = settings.locale.map(Redactor.redact)
        vmType = settings.vmType.map(Redactor.redact)
        commandStartTicks = settings.commandStartTicks
        commandStartTime = settings.commandStartTime.map(Timestamp.iso)
        ageSeconds = settings.commandStartTime.map { Int(saturating: now.timeIntervalSince($0).rounded()) }
        protectedSettingsEncrypted = loaded.protectedSettingsEncrypted
        let targets = loaded.targets.map { SASTargetSummary($0, now: now) }
        disks = targets.filter { $0.role.hasPrefix("disk") }
        statusBlob = targets.first { $0.role == SASTarget.Role.status.description }
        logsBlob = targets.first { $0.role == SASTarget.Role.logs.description }
        backupMetadataKeys = settings.backupMetadata.map { Redactor.redact($0.key) }
        dataDiskLUNs = settings.dataDiskLUNs
        osDiskIncluded = settings.osDiskIncluded
        handlerEnvironment = loaded.handlerEnvironment.map { environment in
            var folders = [
                "logFolder": environment.logFolder, "configFolder": environment.configFolder,
                "statusFolder": environment.statusFolder,
            ]
            folders["heartbeatFile"] = environment.heartbeatFile
            folders["eventsFolder"] = environment.eventsFolder
            return folders
        }
    }
}

/// One SAS URI, shown without its query: account, container, blob and the SAS window and permissions.
public struct SASTargetSummary: Sendable, Codable {
    /// "disk N", "status blob" or "log blob".
    public var role: String
    /// JSON path where it was given.
    public var path: String
    public var account: String
    public var container: String
    public var blob: String
    /// The blob's URI without any query.
    public var blobUri: String
    public var version: String?
    public var permissions: String?
    public var start: String?
    public var expiry: String?
    /// Seconds from the check until expiry (negative: expired).
    public var expiresInSeconds: Int?

    init(_ target: SASTarget, now: Date) {
        let uri = target.uri
        role = target.role.description
        path = Redactor.redact(target.path)
        account = uri.account
        container = uri.container
        blob = uri.blob
        blobUri = Redactor.redact(uri.blobURI)
        version = uri.version
        permissions = uri.permissions
        start = uri.start.map(Timestamp.iso)
        expiry = uri.expiry.map(Timestamp.iso)
        expiresInSeconds = uri.expiry.map { Int(saturating: $0.timeIntervalSince(now).rounded()) }
    }
}

/// A redacted summary of vmsnap's own configuration file.
public struct ConfigurationSummary: Sendable, Codable {
    public var pluginDirectory: String
    /// The directory `pluginDirectory` resolves to on this machine, if any.
    public var resolvedPluginDirectory: String?
    public var logDirectory: String
    /// "discover" or the status blob URI without its query.
    public var statusBlob: String
    public var statusBlobExpiry: String?
    public var pollIntervalSeconds: Double
    public var freezeTimeoutSeconds: Double
    public var mountsToSkip: [String]
    public var theme: String
    /// The CA bundle storage endpoints are verified against, when the file names one.
    public var caBundle: String?

    init(_ configuration: VMSnapConfiguration) {
        pluginDirectory = configuration.pluginDirectory
        resolvedPluginDirectory = configuration.resolvedPluginDirectory()
        logDirectory = configuration.logDirectory
        switch configuration.statusBlob {
        case .discover:
            statusBlob = VMSnapConfiguration.discoverKeyword
        case .uri(let uri):
            statusBlob = Redactor.redact(uri.blobURI)
            statusBlobExpiry = uri.expiry.map(Timestamp.iso)
        }
        pollIntervalSeconds = configuration.pollIntervalSeconds
        freezeTimeoutSeconds = configuration.freezeTimeoutSeconds
        mountsToSkip = configuration.mountsToSkip
        theme = configuration.theme.rawValue
        caBundle = configuration.caBundle
    }
}

/// A summary of workload.conf without its credentials: the password is only said to be there.
public struct WorkloadSummary: Sendable, Codable {
    /// The engine, nil when the file names none (no database is quiesced).
    public var engine: String?
    public var client: String?
    public var linuxUser: String?
    public var timeoutSeconds: Int
    /// `master`, or `slave` (replication stopped while quiesced).
    public var role: String
    /// How many credString options go to the client (their values are not shown).
    public var credentialOptions: Int
    /// Whether credString carries a password (moved to the client's environment, never on its command line).
    public var passwordGiven: Bool
    /// Whether credString is set at all (absent: the client runs with linux_user's own authentication).
    public var credStringSet: Bool

    init(_ conf: WorkloadConf) {
        engine = conf.engine?.rawValue
        client = conf.engine.map { engine in
            conf.commandPath.map { ($0 as NSString).appendingPathComponent(engine.clientName) } ?? engine.clientName
        }
        linuxUser = conf.linuxUser
        timeoutSeconds = conf.timeoutSeconds
        role = conf.role.rawValue
        credentialOptions = conf.credentialArguments.count
        passwordGiven = conf.password != nil
        credStringSet = conf.hasCredString
    }
}
