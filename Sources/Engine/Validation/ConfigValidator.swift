import Basics
import Foundation

/// Validates any input `vmsnap config validate` accepts: job settings in every form, a plugin directory,
/// vmsnap's own configuration file, or workload.conf; collects every error and builds a redacted summary.
public enum ConfigValidator {
    /// How old a job may be when it starts (older: code 402): the engine's default.
    static var maximumJobAge: TimeInterval {
        TimeInterval(SnapshotJobOptions().maximumCommandAge.components.seconds)
    }

    public static func validate(
        path: String, sequenceNumber: Int? = nil,
        certificateDirectory: String = SettingsLoader.defaultCertificateDirectory,
        environment: [String: String] = ProcessInfo.processInfo.environment, now: Date = Date()
    ) -> ValidationReport {
        if isConfigurationFile(path) { return validateConfiguration(path: path, now: now) }
        if isWorkloadConf(path) { return validateWorkloadConf(path: path, now: now) }
        do {
            let loaded = try SettingsLoader.parse(
                path: path, sequenceNumber: sequenceNumber, certificateDirectory: certificateDirectory,
                environment: environment)
            return ValidationReport(
                path: path, kind: .settings, errors: loaded.checks(now: now), warnings: warnings(loaded, now: now),
                settings: SettingsSummary(loaded, now: now), now: now)
        } catch {
            return ValidationReport(
                path: path, kind: recognisedAsSettings(path) ? .settings : nil, errors: error.problems, now: now)
        }
    }

    static func validateConfiguration(path: String, now: Date) -> ValidationReport {
        let configuration: VMSnapConfiguration
        do {
            configuration = try VMSnapConfiguration.load(path: path)
        } catch {
            return ValidationReport(path: path, kind: .configuration, errors: error.problems, now: now)
        }
        var errors: [InputProblem] = []
        if case .uri(let uri) = configuration.statusBlob {
            for violation in SASPolicy.violations(uri, for: .statusPoll, now: now) {
                errors.append(
                    InputProblem(file: path, path: "$.statusBlob", expected: violation.expected, found: violation.found)
                )
            }
        }
        var warnings: [String] = []
        let summary = ConfigurationSummary(configuration)
        if summary.resolvedPluginDirectory == nil {
            warnings.append("pluginDirectory \(configuration.pluginDirectory) matches no directory on this machine")
        }
        if !FileManager.default.fileExists(atPath: configuration.logDirectory) {
            warnings.append("logDirectory \(configuration.logDirectory) does not exist on this machine")
        }
        return ValidationReport(
            path: path, kind: .configuration, errors: errors, warnings: warnings, configuration: summary, now: now)
    }

    /// workload.conf: every problem names its key and line and carries the 5xx a job's database stage would end with.
    static func validateWorkloadConf(path: String, now: Date) -> ValidationReport {
        guard let conf = WorkloadConf.load(path: path) else {
            return ValidationReport(
                path: path, kind: .workloadConf,
                errors: [InputProblem(file: path, path: "[workload]", expected: "an existing file", code: 501)],
                now: now)
        }
        let errors = conf.problems.map { problem in
            InputProblem(
                file: path, path: "[workload] \(problem.key)" + (problem.line.map { " (line \($0))" } ?? ""),
                expected: problem.expected, found: problem.found, code: problem.code.rawValue)
        }
        var warnings = conf.warnings
        if conf.engine == nil && errors.isEmpty {
            warnings.append("workload_name is not set: no database is quiesced (the job is filesystem-consistent)")
        }
        return ValidationReport(
            path: path, kind: .workloadConf, errors: errors, warnings: warnings, workload: WorkloadSummary(conf),
            now: now)
    }

    private static func warnings(_ loaded: LoadedSettings, now: Date) -> [String] {
        var warnings: [String] = []
        let settings = loaded.settings
        if let start = settings.commandStartTime, now.timeIntervalSince(start) > maximumJobAge {
            warnings.append(
                "the job was scheduled \(ValidationReport.interval(now.timeIntervalSince(start))) ago; "
                    + "a snapshot started now would fail with code 402 (older than \(Int(maximumJobAge / 60)) minutes)")
        }
        if settings.commandKind == .snapshot {
            if settings.statusBlob == nil { warnings.append("no statusBlobUri: the status is only written locally") }
            if settings.logsBlob == nil { warnings.append("no logsBlobUri: the job log is not uploaded") }
        }
        return warnings
    }

    /// A file (not a directory) whose JSON is an object of vmsnap's configuration rather than job settings.
    private static func isConfigurationFile(_ path: String) -> Bool {
        guard let root = try? JSONNode.read(file: path) else { return false }
        return !HandlerSettingsSection.isSettingsDocument(root) && VMSnapConfiguration.looksLike(root)
    }

    /// A file named workload.conf, or an INI file with a [workload] section.
    private static func isWorkloadConf(_ path: String) -> Bool {
        if (path as NSString).lastPathComponent == "workload.conf" { return true }
        guard let data = FileManager.default.contents(atPath: path), data.count < 1 << 20 else { return false }
        return String(decoding: data, as: UTF8.self).range(of: #"(?m)^\s*\[workload\]"#, options: .regularExpression)
            != nil
    }

    private static func recognisedAsSettings(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return true
        }
        guard let root = try? JSONNode.read(file: path) else { return false }
        return HandlerSettingsSection.isSettingsDocument(root)
    }
}
