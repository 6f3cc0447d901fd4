import Basics

/// Every key of /etc/azure/vmbackup.conf that Microsoft's Linux extension reads or that operators are told to
/// write, with its section, how vmsnap reads its value and what vmsnap does with it.
public enum VMBackupConfKey: String, Sendable, CaseIterable {
    case snapshotMethod = "SnapshotMethod"
    case timeout
    case safeFreezeWaitInSeconds = "SafeFreezeWaitInSeconds"
    case mountsToSkip = "MountsToSkip"
    case seqsnapshot
    case writeLog = "WriteLog"
    case uploadStatusAndLog = "UploadStatusAndLog"
    case loggingOff = "LoggingOff"
    case disableLogging = "disable_logging"
    case asyncEventLogging = "async_event_logging"
    case onlyLocalFilesystems
    case sudoOff = "sudo_off"
    case onAppFailureDoFsFreeze = "OnAppFailureDoFsFreeze"
    case onAppSuccessDoFsFreeze = "OnAppSuccessDoFsFreeze"
    case monitorRun = "Run"
    case monitorStrace = "Strace"
    case monitorLocation = "Location"
    case lsblkUsername = "username"
    case fsfreeze
    case isAnySnapshotFailed = "isanysnapshotfailed"
    case snapshotRateExceededFailureCount = "SnapshotRateExceededFailureCount"

    /// How a value is read.
    public enum Kind: Sendable, Equatable {
        /// Python `int()` syntax: optional sign, digits (leading zeros and `_` between digits allowed).
        case integer
        /// true/false, yes/no, on/off, 1/0 in any case.
        case boolean
        /// Any text.
        case string
        /// Comma-separated absolute paths, items trimmed.
        case pathList
        /// One of these words (exact case, as the peer compares them).
        case choice([String])
    }

    /// The INI section the key lives in (case-sensitive for the peer).
    public var section: String {
        switch self {
        case .monitorRun, .monitorStrace, .monitorLocation: "Monitor"
        case .lsblkUsername: "lsblkUser"
        default: VMBackupConf.snapshotSection
        }
    }

    public var kind: Kind {
        switch self {
        case .timeout, .safeFreezeWaitInSeconds, .seqsnapshot, .loggingOff, .disableLogging, .asyncEventLogging,
            .sudoOff, .snapshotRateExceededFailureCount:
            .integer
        case .writeLog, .uploadStatusAndLog, .monitorRun, .monitorStrace, .onlyLocalFilesystems, .fsfreeze,
            .isAnySnapshotFailed:
            .boolean
        case .mountsToSkip: .pathList
        case .snapshotMethod: .choice(["onlyGuest", "onlyHost", "firstHostThenGuest", "firstGuestThenHost"])
        case .onAppFailureDoFsFreeze, .onAppSuccessDoFsFreeze, .monitorLocation, .lsblkUsername: .string
        }
    }

    /// What vmsnap does with the key; nil for the keys that change the job (they show as effective settings).
    public var ignoredBecause: String? {
        switch self {
        case .timeout, .safeFreezeWaitInSeconds, .mountsToSkip, .seqsnapshot, .writeLog, .uploadStatusAndLog,
            .disableLogging, .snapshotMethod:
            nil
        case .loggingOff: "vmsnap never drops lines logged while frozen: it writes them after the thaw"
        case .asyncEventLogging:
            "vmsnap always writes its event files every 10 s during the job and at its end (never while frozen)"
        case .onlyLocalFilesystems: "vmsnap never runs df and never blocks on network filesystems"
        case .sudoOff: "vmsnap runs neither lsscsi nor pvs"
        case .onAppFailureDoFsFreeze, .onAppSuccessDoFsFreeze:
            "database workload hooks are not run by vmsnap (the peer ignores these too)"
        case .monitorRun, .monitorStrace, .monitorLocation: "vmsnap starts no msft_snap_monit diagnostics helper"
        case .lsblkUsername: "vmsnap runs no lsblk: it reads /proc/self/mountinfo"
        case .fsfreeze:
            "not read since 2017 (as the peer); switch freezing off with fsFreezeEnabled in VMSnapshotScriptPluginConfig.json"
        case .isAnySnapshotFailed, .snapshotRateExceededFailureCount: "not read since 2019 (as the peer)"
        }
    }

    /// The key for a section and a name, names compared case-insensitively.
    static func find(section: String, name: String) -> VMBackupConfKey? {
        allCases.first { $0.section == section && $0.rawValue.lowercased() == name.lowercased() }
    }
}
