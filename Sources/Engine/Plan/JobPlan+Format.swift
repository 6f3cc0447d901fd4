import Basics
import Foundation

extension JobPlan {
    /// One effective setting as `config show` lists it.
    public struct SettingRow: Sendable, Equatable {
        public var name: String
        /// The value as text.
        public var value: String
        /// The value for JSON: a number, a boolean, a string or null.
        public var json: JSONValue
        public var source: SettingSource
    }

    /// Every effective setting with its source, in a fixed order.
    public var settingRows: [SettingRow] {
        func number(_ value: Double) -> JSONValue {
            value == value.rounded() ? .integer(Int64(value)) : .number(value)
        }
        func seconds(_ value: Double) -> String {
            (value == value.rounded() ? String(Int64(value)) : String(value)) + " s"
        }
        let wait = freezeWaitSeconds.value
        let cap = snapshotConcurrency.value
        return [
            SettingRow(
                name: "freeze", value: freeze.value ? "on" : "off", json: .bool(freeze.value), source: freeze.source),
            SettingRow(
                name: "freezeTimeoutSeconds", value: seconds(freezeTimeoutSeconds.value),
                json: number(freezeTimeoutSeconds.value), source: freezeTimeoutSeconds.source),
            SettingRow(
                name: "safeFreezeWaitSeconds", value: wait.map(seconds) ?? "the freeze timeout",
                json: wait.map(number) ?? .null, source: freezeWaitSeconds.source),
            SettingRow(
                name: "freezeLockWaitSeconds", value: seconds(freezeLockWaitSeconds.value),
                json: number(freezeLockWaitSeconds.value), source: freezeLockWaitSeconds.source),
            SettingRow(
                name: "freezeLock", value: freezeLockPath.value, json: .string(freezeLockPath.value),
                source: freezeLockPath.source),
            SettingRow(
                name: "expediteRcuDuringFreeze", value: expediteRcu.value ? "on" : "off",
                json: .bool(expediteRcu.value),
                source: expediteRcu.source),
            SettingRow(
                name: "scriptConfig", value: scriptConfigPath.value, json: .string(scriptConfigPath.value),
                source: scriptConfigPath.source),
            SettingRow(
                name: "scripts", value: scriptsSummary, json: .string(scriptsSummary), source: scriptConfigPath.source),
            SettingRow(
                name: "database", value: databaseSummary, json: .string(databaseSummary),
                source: workloadConf.map { .workloadConf(path: $0.path) } ?? .builtIn),
            SettingRow(
                name: "snapshotConcurrency", value: cap.map { "\($0) at a time" } ?? "every disk at once",
                json: cap.map { .integer(Int64($0)) } ?? .null, source: snapshotConcurrency.source),
            SettingRow(
                name: "uploadStatusAndLog", value: uploadStatusAndLog.value ? "on" : "off (status file only)",
                json: .bool(uploadStatusAndLog.value), source: uploadStatusAndLog.source),
            SettingRow(
                name: "writeLog", value: writeLog.value ? "on" : "off (no extension.log)", json: .bool(writeLog.value),
                source: writeLog.source),
            SettingRow(
                name: "eventFiles", value: eventFiles.value ? "on (warnings and errors)" : "off",
                json: .bool(eventFiles.value), source: eventFiles.source),
            SettingRow(
                name: "wireServer", value: wireServer.value ?? "none: \(wireServerReason)",
                json: wireServer.value.map(JSONValue.string) ?? .null, source: wireServer.source),
            snapshotMethodRow,
        ]
    }

    /// vmbackup.conf's SnapshotMethod as the job reads it (the job's customSettings and disks decide the rest).
    private var snapshotMethodRow: SettingRow {
        guard let conf = vmbackupConf, let entry = conf[.snapshotMethod], case .text(let method) = entry.value else {
            let text = "not configured (customSettings.takeSnapshotFrom, else firstHostThenGuest)"
            return SettingRow(name: "snapshotMethod", value: text, json: .null, source: .builtIn)
        }
        let valid = SnapshotMethod(rawValue: method) != nil
        return SettingRow(
            name: "snapshotMethod", value: valid ? method : "\(method) (not a method name: firstHostThenGuest)",
            json: .string(method),
            source: .vmbackupConf(path: conf.path, line: entry.line, key: VMBackupConfKey.snapshotMethod.rawValue))
    }

    /// The vmbackup.conf keys that are set but change nothing in vmsnap, with why.
    public var ineffectiveConfKeys: [(entry: VMBackupConf.Entry, reason: String)] {
        guard let conf = vmbackupConf else { return [] }
        return conf.entries.values.sorted { $0.line < $1.line }.compactMap { entry in
            entry.key.ignoredBecause.map { (entry, $0) }
        }
    }

    /// The plan as `config show` prints it.
    public func text() -> String {
        var lines = ["Files read:"]
        lines.append("  vmsnap config   \(configurationPath ?? "none (defaults)")")
        lines.append("  vmbackup.conf   \(vmbackupConf?.path ?? "none (defaults)")")
        lines.append("  workload.conf   \(workloadConf?.path ?? "none (no database is quiesced)")")
        lines.append("")
        lines.append("Effective settings:")
        let width = (settingRows.map(\.name.count).max() ?? 0) + 2
        for row in settingRows {
            lines.append(
                "  \(row.name.padding(toLength: width, withPad: " ", startingAt: 0))\(row.value)  [\(row.source)]")
        }
        lines.append("")
        lines.append("Mounts frozen, in order:")
        if mountsToFreeze.isEmpty { lines.append("  (none)") }
        for mount in mountsToFreeze {
            let decision = mounts.first { $0.mountPoint == mount }
            lines.append("  \(mount)" + (decision.map { "  (\($0.filesystemType) \($0.mountSource))" } ?? ""))
        }
        lines.append("")
        lines.append("Mounts skipped:")
        for decision in mounts where !decision.frozen {
            lines.append("  \(decision.mountPoint)  (\(decision.filesystemType) \(decision.mountSource))")
            for reason in decision.skipReasons {
                lines.append("      \(reason.value)  [\(reason.source)]")
            }
        }
        let ineffective = ineffectiveConfKeys
        if !ineffective.isEmpty {
            lines.append("")
            lines.append("vmbackup.conf keys without effect in vmsnap:")
            for (entry, reason) in ineffective {
                lines.append("  line \(entry.line) \(entry.key.rawValue) = \(entry.text): \(reason)")
            }
        }
        if !warnings.isEmpty {
            lines.append("")
            lines.append("Warnings:")
            lines += warnings.map { "  \($0)" }
        }
        return Redactor.redact(lines.joined(separator: "\n")) + "\n"
    }

    /// The plan as `config show --json` prints it.
    public func json() -> String {
        func source(_ source: SettingSource) -> JSONValue {
            var members: [String: JSONValue] = ["kind": .string(source.kind), "text": .string(source.description)]
            switch source {
            case .commandLine(let flag): members["flag"] = .string(flag)
            case .vmsnapConfiguration(let path, let key):
                members["path"] = .string(path)
                members["key"] = .string(key)
            case .vmbackupConf(let path, let line, let key):
                members["path"] = .string(path)
                members["line"] = .integer(Int64(line))
                members["key"] = .string(key)
            case .workloadConf(let path): members["path"] = .string(path)
            case .builtIn: break
            }
            return .object(members)
        }
        let settings = settingRows.map { row in
            JSONValue.object(["name": .string(row.name), "value": row.json, "source": source(row.source)])
        }
        let mountList = mounts.map { decision in
            JSONValue.object([
                "mountPoint": .string(decision.mountPoint), "filesystemType": .string(decision.filesystemType),
                "device": .string(decision.mountSource), "frozen": .bool(decision.frozen),
                "skipReasons": .array(
                    decision.skipReasons.map { .object(["reason": .string($0.value), "source": source($0.source)]) }),
            ])
        }
        let ineffective = ineffectiveConfKeys.map { entry, reason in
            JSONValue.object([
                "key": .string(entry.key.rawValue), "line": .integer(Int64(entry.line)), "value": .string(entry.text),
                "reason": .string(reason),
            ])
        }
        let document = JSONValue.object([
            "vmsnapConfig": configurationPath.map(JSONValue.string) ?? .null,
            "vmbackupConf": vmbackupConf.map { .string($0.path) } ?? .null,
            "workloadConf": workloadConf.map { .string($0.path) } ?? .null,
            "workloadConfProblems": .array(
                (workloadConf?.problems ?? []).map { problem in
                    .object([
                        "key": .string(problem.key), "line": problem.line.map { .integer(Int64($0)) } ?? .null,
                        "expected": .string(problem.expected), "code": .integer(Int64(problem.code.rawValue)),
                        "name": problem.code.name.map(JSONValue.string) ?? .null,
                    ])
                }),
            "settings": .array(settings),
            "mountsToFreeze": .array(mountsToFreeze.map(JSONValue.string)),
            "mounts": .array(mountList),
            "ineffectiveVmbackupConfKeys": .array(ineffective),
            "warnings": .array(warnings.map(JSONValue.string)),
        ])
        return Redactor.redact(document.serialized())
    }

    /// The lines a job logs once at its start: the effective configuration and every warning.
    public var logLines: [String] {
        let settings = settingRows.filter { $0.name != "scriptConfig" }.map { "\($0.name) \($0.value) [\($0.source)]" }
        let frozen =
            freeze.value
            ? (mountsToFreeze.isEmpty ? "nothing (no filesystem qualifies)" : mountsToFreeze.joined(separator: ", "))
            : "off"
        let ineffective = ineffectiveConfKeys.map { entry, reason in
            "job plan: \(vmbackupConf?.path ?? "") line \(entry.line) \(entry.key.rawValue) has no effect: \(reason)"
        }
        return ["job plan: freezes \(frozen); " + settings.joined(separator: "; ")] + ineffective
            + warnings.map { "job plan warning: \($0)" }
    }

    /// Writes `logLines` to a job's log.
    public func log(to log: ExtensionLog) {
        for line in logLines { log.write(line) }
    }
}
