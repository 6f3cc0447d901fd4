import ArgumentParser
import Core

/// The options that shape a job's plan, shared by `snapshot` and `config show`.
struct JobPlanOptions: ParsableArguments {
    @Option(help: "vmsnap's configuration file (default: \(VMSnapConfiguration.defaultPath) when it exists).")
    var config: String?
    @Option(
        help:
            "vmbackup.conf (default: the configuration's vmbackupConf, else \(VMBackupConf.defaultPath) when it exists)."
    )
    var vmbackupConf: String?
    @Option(
        help:
            "VMSnapshotScriptPluginConfig.json with the pre/post scripts (default: the configuration's scriptConfig, else \(ScriptPlugin.defaultConfigPath); a missing file means none)."
    )
    var scriptConfig: String?
    @Option(
        help:
            "workload.conf naming the database to quiesce around the freeze (default: \(WorkloadConf.defaultPath) when it exists)."
    )
    var workloadConf: String?
    @Option(help: "Freeze filesystems during the snapshot: off or auto.") var freeze: FreezeMode?
    @Option(name: .customLong("mount"), help: "A mount point to freeze (repeatable; default: discovered).")
    var mounts: [String] = []
    @Option(help: "Longest freeze, in seconds (default: freezeTimeoutSeconds, else vmbackup.conf timeout, else 60).")
    var freezeTimeoutSeconds: Int?
    @Option(help: "The exclusive freeze lock (shared with Site Recovery).") var freezeLock: String?
    @Option(
        name: .customLong("freeze-lock-wait"),
        help: "Seconds to wait for a freeze lock another process holds (default: freezeLockWaitSeconds, else 30).")
    var freezeLockWaitSeconds: Int?
    @Flag(help: "Don't hold rcu_expedited at 1 during FIFREEZE (slower freeze).") var noExpediteRcu = false
    @Option(
        name: .customLong("wireserver"),
        help:
            "The WireServer the host snapshot path calls, http://HOST[:PORT] (default: $VMSNAP_WIRESERVER, else the configuration's wireServer, else \(WireServerClient.defaultAddress) on an Azure VM; off Azure no host call is made)."
    )
    var wireServer: String?

    /// How filesystems are made consistent.
    enum FreezeMode: String, ExpressibleByArgument, CaseIterable {
        case off, auto
    }

    func validate() throws {
        if !mounts.isEmpty && freeze == .off { throw ValidationError("--mount needs --freeze auto") }
        if let freezeTimeoutSeconds, !VMSnapConfiguration.freezeTimeoutRange.contains(Double(freezeTimeoutSeconds)) {
            let range = VMSnapConfiguration.freezeTimeoutRange
            throw ValidationError(
                "--freeze-timeout-seconds: expected \(Int(range.lowerBound)) to \(Int(range.upperBound))")
        }
        if let freezeLockWaitSeconds,
            !VMSnapConfiguration.freezeLockWaitRange.contains(Double(freezeLockWaitSeconds))
        {
            let range = VMSnapConfiguration.freezeLockWaitRange
            throw ValidationError("--freeze-lock-wait: expected \(Int(range.lowerBound)) to \(Int(range.upperBound))")
        }
        if let wireServer, let problem = VMSnapConfiguration.wireServerProblem(wireServer) {
            throw ValidationError("--wireserver: expected http://HOST[:PORT], found \(problem)")
        }
    }

    var sources: JobPlanSources {
        JobPlanSources(
            configurationPath: config, vmbackupConfPath: vmbackupConf, scriptConfigPath: scriptConfig,
            workloadConfPath: workloadConf)
    }

    /// The command line's part of the plan; `freezesByDefault` is the command's behaviour without `--freeze`.
    func overrides(freezesByDefault: Bool) -> JobPlanOverrides {
        JobPlanOverrides(
            freeze: freeze.map { $0 == .auto } ?? (mounts.isEmpty ? nil : true), freezesByDefault: freezesByDefault,
            mounts: mounts, freezeTimeoutSeconds: freezeTimeoutSeconds, freezeLockWaitSeconds: freezeLockWaitSeconds,
            freezeLockPath: freezeLock, expediteRcu: noExpediteRcu ? false : nil, wireServer: wireServer)
    }

    /// The plan; a problem in a file is printed without the usage text (it is not a misused command), exit 1.
    func resolve(freezesByDefault: Bool) throws -> JobPlan {
        do {
            return try JobPlan.resolve(sources: sources, overrides: overrides(freezesByDefault: freezesByDefault))
        } catch {
            throw PlanFailure(error: error)
        }
    }
}

/// A plan that cannot be made, printed as `Error: ...` with exit status 1.
struct PlanFailure: Error, CustomStringConvertible {
    let error: JobPlanError

    var description: String { error.description }
}
