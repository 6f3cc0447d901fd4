import Basics
import Foundation

extension ValidationReport {
    /// The report as pretty-printed JSON with sorted keys (for scripts).
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        return Redactor.redact(String(decoding: data, as: UTF8.self))
    }

    /// The report as text for people: the summary, then warnings, then every error.
    public func text() -> String {
        var lines: [String] = []
        if let settings { lines += settingsLines(settings) }
        if let configuration { lines += configurationLines(configuration) }
        if let workload { lines += workloadLines(workload) }
        for warning in warnings { lines.append("warning: \(warning)") }
        if valid {
            lines.append("valid")
        } else {
            let subject = kind.map { "\($0.rawValue) " } ?? ""
            lines.append("invalid \(subject)\(path): \(errors.count) error\(errors.count == 1 ? "" : "s")")
            lines += errors.map { "  \($0)" }
            if let code = resultCode, let entry = ErrorCatalog.resultCode(code) {
                lines.append("a job would end with code \(code) \(entry.name): \(entry.meaning)")
            }
        }
        return Redactor.redact(lines.joined(separator: "\n") + "\n")
    }

    /// A short human form of an interval: `45s`, `12m`, `3h 20m`, `9d 4h`.
    static func interval(_ seconds: TimeInterval) -> String {
        let total = Int(saturating: abs(seconds).rounded())
        let (days, hours, minutes) = (total / 86_400, total % 86_400 / 3600, total % 3600 / 60)
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        if minutes > 0 { return "\(minutes)m" }
        return "\(total)s"
    }

    private func settingsLines(_ summary: SettingsSummary) -> [String] {
        var lines = ["settings     \(summary.file) (\(summary.form))"]
        func row(_ label: String, _ value: String?) {
            guard let value else { return }
            lines.append(label.padding(toLength: 13, withPad: " ", startingAt: 0) + value)
        }
        row("sequence", summary.sequenceNumber.map(String.init))
        row("task", summary.taskId)
        row("command", summary.command)
        if let start = summary.commandStartTime {
            let ticks = summary.commandStartTicks.map { " (ticks \($0))" } ?? ""
            let age = summary.ageSeconds.map {
                $0 >= 0 ? ", \(Self.interval(Double($0))) ago" : ", in \(Self.interval(Double($0)))"
            }
            row("start time", start + ticks + (age ?? ""))
        }
        row("vm type", summary.vmType)
        row("protected", summary.protectedSettingsEncrypted ? "CMS-encrypted, decrypted in memory" : "plain")
        row("disks", "\(summary.disks.count)")
        for disk in summary.disks { lines.append("  " + targetLine(disk)) }
        row("status blob", summary.statusBlob.map(targetLine) ?? "none")
        row("log blob", summary.logsBlob.map(targetLine) ?? "none")
        if !summary.backupMetadataKeys.isEmpty { row("metadata", summary.backupMetadataKeys.joined(separator: ", ")) }
        if let luns = summary.dataDiskLUNs {
            let os = summary.osDiskIncluded.map { $0 ? ", OS disk included" : ", OS disk excluded" } ?? ""
            row("data LUNs", luns.map(String.init).joined(separator: ", ") + os)
        }
        if let folders = summary.handlerEnvironment {
            for key in folders.keys.sorted() { row(key, folders[key]) }
        }
        return lines
    }

    private func targetLine(_ target: SASTargetSummary) -> String {
        let role = target.role.hasPrefix("disk") ? "\(target.role): " : ""
        var line = "\(role)\(target.account) / \(target.container) / \(target.blob)"
        line += "  sp=\(target.permissions ?? "-")"
        if let expiry = target.expiry, let remaining = target.expiresInSeconds {
            let state =
                remaining > 0
                ? "in \(Self.interval(Double(remaining)))" : "EXPIRED \(Self.interval(Double(remaining))) ago"
            line += "  expires \(expiry) (\(state))"
        } else {
            line += "  no expiry"
        }
        return line
    }

    private func configurationLines(_ summary: ConfigurationSummary) -> [String] {
        var lines = ["configuration \(path)"]
        func row(_ label: String, _ value: String) {
            lines.append("  " + label.padding(toLength: 22, withPad: " ", startingAt: 0) + value)
        }
        row("pluginDirectory", summary.pluginDirectory + (summary.resolvedPluginDirectory.map { " -> \($0)" } ?? ""))
        row("logDirectory", summary.logDirectory)
        row("statusBlob", summary.statusBlob + (summary.statusBlobExpiry.map { " (expires \($0))" } ?? ""))
        row("pollIntervalSeconds", Self.number(summary.pollIntervalSeconds))
        row("freezeTimeoutSeconds", Self.number(summary.freezeTimeoutSeconds))
        row("mountsToSkip", summary.mountsToSkip.isEmpty ? "(none)" : summary.mountsToSkip.joined(separator: ", "))
        row("theme", summary.theme)
        row("caBundle", summary.caBundle ?? "(none: the environment's or the system's CA certificates)")
        return lines
    }

    private func workloadLines(_ summary: WorkloadSummary) -> [String] {
        var lines = ["workload.conf \(path)"]
        func row(_ label: String, _ value: String) {
            lines.append("  " + label.padding(toLength: 22, withPad: " ", startingAt: 0) + value)
        }
        row("engine", summary.engine ?? "(none: no database is quiesced)")
        if let client = summary.client { row("client", client) }
        row("linux_user", summary.linuxUser ?? "(this process's account)")
        row("timeout", "\(summary.timeoutSeconds) s")
        if summary.role == WorkloadConf.Role.slave.rawValue {
            row("role", "slave (replication stopped while quiesced, restarted after)")
        }
        let password = summary.passwordGiven ? ", a password (passed in the client's environment)" : ""
        row(
            "credString",
            summary.credStringSet
                ? "\(summary.credentialOptions) option(s)\(password)" : "(not set: linux_user's own authentication)")
        return lines
    }

    private static func number(_ value: Double) -> String {
        Int(exactly: value).map(String.init) ?? String(value)
    }
}
