import Basics
import Foundation

/// Everything a snapshot job will do that the machine's configuration decides, resolved once from vmsnap's
/// configuration, /etc/azure/vmbackup.conf, VMSnapshotScriptPluginConfig.json, mountinfo and the command line (see
/// `JobPlan.resolve`): the mounts it freezes and why every other mount is skipped, timeouts, the freeze lock, the
/// scripts and the upload targets, each setting with its source. `handler enable`, `snapshot`, `demo`, the
/// dashboard's trigger and `config show` all use it.
public struct JobPlan: Sendable, Equatable {
    /// Whether filesystems are frozen at all.
    public var freeze: Sourced<Bool>
    /// Every mount of the machine and what the plan does with it.
    public var mounts: [MountDecision]
    /// The mount points to freeze, in freeze order (`/` last); empty when `freeze` is off.
    public var mountsToFreeze: [String]
    /// The longest the filesystems stay frozen.
    public var freezeTimeoutSeconds: Sourced<Double>
    /// How long FIFREEZE of every mount may take (SafeFreezeWaitInSeconds); nil: the whole freeze timeout.
    public var freezeWaitSeconds: Sourced<Double?>
    /// How long to wait for a freeze lock another process holds.
    public var freezeLockWaitSeconds: Sourced<Double>
    public var freezeLockPath: Sourced<String>
    /// Whether `rcu_expedited` is held at 1 during FIFREEZE.
    public var expediteRcu: Sourced<Bool>
    /// VMSnapshotScriptPluginConfig.json's path.
    public var scriptConfigPath: Sourced<String>
    /// The scripts; nil when the plan reads no script configuration (the demo's sample VM).
    public var scripts: ScriptPlugin?
    /// At most this many snapshot requests at once; nil: every disk at once.
    public var snapshotConcurrency: Sourced<Int?>
    /// Whether the status blob and the log blob are uploaded.
    public var uploadStatusAndLog: Sourced<Bool>
    /// Whether extension.log is written.
    public var writeLog: Sourced<Bool>
    /// Whether the job's warnings and errors become guest-agent event files (in HandlerEnvironment's eventsFolder).
    public var eventFiles: Sourced<Bool>
    /// The WireServer the host snapshot path calls; nil: the host path is not attempted (off Azure, none given).
    public var wireServer: Sourced<String?> = Sourced(nil, .builtIn)
    /// Why `wireServer` is what it is, e.g. "off Azure: no Azure asset tag in DMI, no endpoint configured".
    public var wireServerReason = "no WireServer endpoint is configured"
    /// The vmsnap configuration file that was read, if any.
    public var configurationPath: String?
    /// The vmbackup.conf that was read, if any.
    public var vmbackupConf: VMBackupConf?
    /// The workload.conf that was read, if any: the database quiesced around the freeze.
    public var workloadConf: WorkloadConf?
    /// vmsnap's configuration as read (its defaults without a file): the TLS trust (`caBundle`) comes from it.
    public var configuration: VMSnapConfiguration = .defaults
    /// What the operator should know: values capped or refused, vmbackup.conf lines read differently from the peer.
    public var warnings: [String]

    /// The job's options for this plan.
    public func options(
        statusDirectory: String? = nil, logDirectory: String? = nil, stateDirectory: String? = nil,
        guardExecutable: String = "/proc/self/exe"
    ) -> SnapshotJobOptions {
        var options = SnapshotJobOptions(
            freezeTimeout: .milliseconds(Int((freezeTimeoutSeconds.value * 1000).rounded())),
            statusDirectory: statusDirectory, logDirectory: writeLog.value ? logDirectory : nil,
            stateDirectory: stateDirectory, scripts: scripts)
        if freeze.value {
            options.freezer = GuardedFreezer(
                mounts: mountsToFreeze, guardExecutable: guardExecutable, lockPath: freezeLockPath.value,
                lockWait: .milliseconds(Int((freezeLockWaitSeconds.value * 1000).rounded())),
                freezeWait: freezeWaitSeconds.value.map { .milliseconds(Int(($0 * 1000).rounded())) },
                expediteGracePeriods: expediteRcu.value)
        }
        options.snapshotConcurrency = snapshotConcurrency.value
        options.uploadsStatusAndLog = uploadStatusAndLog.value
        var configuredMethod: String?
        if case .text(let method)? = vmbackupConf?[.snapshotMethod]?.value { configuredMethod = method }
        options.hostPath = HostPathOptions(
            wireServer: wireServer.value.map(WireServerClient.init(address:)), availability: wireServerReason,
            configuredMethod: configuredMethod)
        if let workloadConf {
            if let failure = workloadConf.failure {
                options.database = .refused(failure)
            } else if let engine = workloadConf.engine {
                let timeout = Duration.seconds(workloadConf.timeoutSeconds)
                options.database = .quiesce(
                    GuardedQuiescer(
                        workloadConfPath: workloadConf.path, engine: engine, guardExecutable: guardExecutable,
                        timeout: timeout, lockWait: GuardedQuiescer.lockWait(forTimeout: timeout)))
            }
        }
        return options
    }

    /// The database quiesced around the freeze, as one line.
    public var databaseSummary: String {
        guard let workloadConf else { return "none (no workload.conf)" }
        if let failure = workloadConf.failure {
            return "not quiesced: code \(failure.code) \(failure.code.name ?? ""): \(failure.message)"
        }
        guard let engine = workloadConf.engine else { return "none (workload.conf names no workload_name)" }
        let timeout = Duration.seconds(workloadConf.timeoutSeconds)
        let user = workloadConf.linuxUser.map { " as \($0)" } ?? ""
        let client = workloadConf.commandPath.map { ($0 as NSString).appendingPathComponent(engine.clientName) }
        let replica = workloadConf.role == .slave ? ", replica (replication stopped while quiesced)" : ""
        return
            "\(engine.rawValue) via \(client ?? engine.clientName)\(user): quiesce deadline \(workloadConf.timeoutSeconds) s, lock wait \(GuardedQuiescer.lockWait(forTimeout: timeout).components.seconds) s\(replica)"
    }

    /// The scripts the job runs, as one line: "pre /x, post /y (timeout 30 s)", "none (<path> absent)", ...
    public var scriptsSummary: String {
        guard let scripts else { return "none (no script configuration is read)" }
        if let problem = scripts.problem { return "unusable: \(problem.message) (code \(problem.code))" }
        guard let config = scripts.config else { return "none (\(scriptConfigPath.value) does not exist)" }
        let parts = [("pre", config.preScript), ("post", config.postScript)].compactMap { name, spec in
            spec.location.isEmpty ? nil : "\(name) \(spec.location)"
        }
        guard !parts.isEmpty else { return "none (\(scriptConfigPath.value) names no script)" }
        return parts.joined(separator: ", ") + " (timeout \(config.timeout.components.seconds) s)"
    }
}

/// Which files and machine state a plan is resolved from.
public struct JobPlanSources: Sendable, Equatable {
    /// vmsnap's configuration named on the command line; nil reads `configurationDefaultPath` when it exists.
    public var configurationPath: String?
    public var configurationDefaultPath = VMSnapConfiguration.defaultPath
    /// vmbackup.conf named on the command line; nil reads `vmbackupConfDefaultPath` when it exists.
    public var vmbackupConfPath: String?
    public var vmbackupConfDefaultPath = VMBackupConf.defaultPath
    /// workload.conf named on the command line; nil reads `workloadConfDefaultPath` when it exists.
    public var workloadConfPath: String?
    public var workloadConfDefaultPath = WorkloadConf.defaultPath
    /// VMSnapshotScriptPluginConfig.json named on the command line; nil: `scriptConfigDefaultPath`.
    public var scriptConfigPath: String?
    public var scriptConfigDefaultPath = ScriptPlugin.defaultConfigPath
    public var mountInfoPath = "/proc/self/mountinfo"
    /// The process environment (`VMSNAP_WIRESERVER` is read from it).
    public var environment = ProcessInfo.processInfo.environment
    /// `VMSNAP_WIRESERVER=URL|off`: the WireServer, or no host path, below the command line and above the
    /// configuration (test harnesses switch the host path off with it on machines that are Azure VMs).
    public static let wireServerVariable = "VMSNAP_WIRESERVER"
    public static let wireServerOff = "off"
    /// Where the guest agent leaves the WireServer's address (its presence says this is an Azure VM).
    public var agentEndpointFile = AzurePlatform.agentEndpointFile
    /// Where sysfs is (the resource disk is found under bus/vmbus/devices, the DMI asset tag under class/dmi/id).
    public var sysfsRoot = "/sys"
    public var resourceDiskLinks = BlockDevices.resourceDiskLinks
    /// false: files of the machine that are not named here are not read (the demo's sample VM).
    public var readsMachineFiles = true

    public init(
        configurationPath: String? = nil, vmbackupConfPath: String? = nil, scriptConfigPath: String? = nil,
        workloadConfPath: String? = nil
    ) {
        self.configurationPath = configurationPath
        self.vmbackupConfPath = vmbackupConfPath
        self.scriptConfigPath = scriptConfigPath
        self.workloadConfPath = workloadConfPath
    }
}

/// What the command line says about the plan; nil and empty mean "not given".
public struct JobPlanOverrides: Sendable, Equatable {
    /// `--freeze auto|off`.
    public var freeze: Bool?
    /// Whether the command freezes when `--freeze` is not given (`handler enable` and the trigger do).
    public var freezesByDefault: Bool
    /// `--mount` (repeatable): freeze exactly these.
    public var mounts: [String]
    public var freezeTimeoutSeconds: Int?
    public var freezeLockWaitSeconds: Int?
    public var freezeLockPath: String?
    /// `--no-expedite-rcu` gives false.
    public var expediteRcu: Bool?
    /// The flag that named `mounts` (`--mount`, `--freeze-mount`).
    public var mountFlag: String
    /// `--wireserver URL`: the WireServer the host snapshot path calls.
    public var wireServer: String?

    public init(
        freeze: Bool? = nil, freezesByDefault: Bool, mounts: [String] = [], freezeTimeoutSeconds: Int? = nil,
        freezeLockWaitSeconds: Int? = nil, freezeLockPath: String? = nil, expediteRcu: Bool? = nil,
        mountFlag: String = "--mount", wireServer: String? = nil
    ) {
        self.wireServer = wireServer
        self.freeze = freeze
        self.freezesByDefault = freezesByDefault
        self.mounts = mounts
        self.freezeTimeoutSeconds = freezeTimeoutSeconds
        self.freezeLockWaitSeconds = freezeLockWaitSeconds
        self.freezeLockPath = freezeLockPath
        self.expediteRcu = expediteRcu
        self.mountFlag = mountFlag
    }
}

extension JobPlanOverrides {
    /// The job the guest agent runs (`handler enable`) and the dashboard triggers: discovered mounts frozen unless
    /// `freeze` (the command line's `--freeze`) says otherwise.
    public static func agentJob(freeze: Bool? = nil) -> JobPlanOverrides {
        JobPlanOverrides(freeze: freeze, freezesByDefault: true)
    }
}

/// Why no plan could be made: vmsnap's configuration is broken, or a file or mount named on the command line is not
/// there.
public enum JobPlanError: Error, Sendable, CustomStringConvertible {
    case configuration(ConfigurationError)
    case commandLine(String)

    public var description: String {
        switch self {
        case .configuration(let error): error.description
        case .commandLine(let message): message
        }
    }

    /// The message of the job that reports this problem (code 11).
    public var jobMessage: String {
        switch self {
        case .configuration(let error): "vmsnap configuration: \(error.description)"
        case .commandLine(let message): "job plan: \(message)"
        }
    }
}
