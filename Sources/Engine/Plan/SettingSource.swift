import Basics

/// Where an effective job setting came from (workload.conf stands alone: only it names the database), in precedence
/// order: the command line beats vmsnap's configuration,
/// which beats /etc/azure/vmbackup.conf, which beats the built-in default. (The job's customSettings compete only with
/// vmbackup.conf's SnapshotMethod, through takeSnapshotFrom: `SnapshotMethodChoice.decide`.)
public enum SettingSource: Sendable, Equatable, CustomStringConvertible {
    /// A command-line flag, e.g. `--freeze-timeout-seconds`.
    case commandLine(String)
    /// A key of vmsnap's configuration file.
    case vmsnapConfiguration(path: String, key: String)
    /// A key of vmbackup.conf, with its line.
    case vmbackupConf(path: String, line: Int, key: String)
    /// workload.conf (the database quiesced around the freeze).
    case workloadConf(path: String)
    /// vmsnap's built-in default (or rule).
    case builtIn

    public var description: String {
        switch self {
        case .commandLine(let flag): "command line \(flag)"
        case .vmsnapConfiguration(let path, let key): "vmsnap config \(path) \(key)"
        case .vmbackupConf(let path, let line, let key): "\(path) line \(line) \(key)"
        case .workloadConf(let path): path
        case .builtIn: "default"
        }
    }

    /// A short name for JSON: `commandLine`, `vmsnapConfig`, `vmbackupConf` or `default`.
    public var kind: String {
        switch self {
        case .commandLine: "commandLine"
        case .vmsnapConfiguration: "vmsnapConfig"
        case .vmbackupConf: "vmbackupConf"
        case .workloadConf: "workloadConf"
        case .builtIn: "default"
        }
    }
}

/// A value and where it came from.
public struct Sourced<Value: Sendable & Equatable>: Sendable, Equatable {
    public var value: Value
    public var source: SettingSource

    public init(_ value: Value, _ source: SettingSource) {
        self.value = value
        self.source = source
    }
}
