import Basics
import Foundation

extension JobPlan {
    /// Resolves the plan. One precedence rule for every setting: the command line, then vmsnap's configuration
    /// (only the keys the file sets), then /etc/azure/vmbackup.conf, then vmsnap's default. Skip lists are not overridden but added up: `mountsToSkip` (vmsnap's configuration) and
    /// `MountsToSkip` (vmbackup.conf) both apply, each reason shown with its source. No value lengthens a freeze past
    /// `VMSnapConfiguration.freezeTimeoutRange`.
    public static func resolve(sources: JobPlanSources, overrides: JobPlanOverrides) throws(JobPlanError) -> JobPlan {
        var warnings: [String] = []
        let configurationFile =
            sources.configurationPath
            ?? (sources.readsMachineFiles
                && FileManager.default.fileExists(atPath: sources.configurationDefaultPath)
                ? sources.configurationDefaultPath : nil)
        let configuration: VMSnapConfiguration
        do {
            configuration = try configurationFile.map(VMSnapConfiguration.load(path:)) ?? .defaults
        } catch {
            throw .configuration(error)
        }
        func fromConfiguration<T>(_ key: String, _ value: T) -> Sourced<T>? {
            guard let configurationFile, configuration.keysSet.contains(key) else { return nil }
            return Sourced(value, .vmsnapConfiguration(path: configurationFile, key: key))
        }
        let conf: VMBackupConf?
        let namedConf =
            sources.vmbackupConfPath.map { ($0, "--vmbackup-conf") }
            ?? configuration.vmbackupConf.map { ($0, "\(configurationFile ?? "") vmbackupConf") }
        if let (path, namer) = namedConf {
            guard let read = VMBackupConf.load(path: path) else { throw .commandLine("\(namer) \(path): no such file") }
            conf = read
        } else {
            conf = sources.readsMachineFiles ? VMBackupConf.load(path: sources.vmbackupConfDefaultPath) : nil
        }
        warnings += conf?.warnings.map(\.description) ?? []
        func fromConf(_ key: VMBackupConfKey) -> (entry: VMBackupConf.Entry, source: SettingSource)? {
            guard let conf, let entry = conf[key] else { return nil }
            return (entry, .vmbackupConf(path: conf.path, line: entry.line, key: key.rawValue))
        }

        let freeze =
            overrides.freeze.map { Sourced($0, .commandLine("--freeze")) }
            ?? Sourced(overrides.freezesByDefault, .builtIn)

        let timeoutRange = VMSnapConfiguration.freezeTimeoutRange
        var freezeTimeout =
            overrides.freezeTimeoutSeconds.map { Sourced(Double($0), .commandLine("--freeze-timeout-seconds")) }
            ?? fromConfiguration("freezeTimeoutSeconds", configuration.freezeTimeoutSeconds)
        if freezeTimeout == nil, let (entry, source) = fromConf(.timeout), case .integer(let seconds) = entry.value {
            if seconds < 1 {
                warnings.append(
                    "\(source): timeout = \(seconds) must be at least 1 (the peer fails with 121); the default is used")
            } else {
                let capped = min(Double(seconds), timeoutRange.upperBound)
                if capped < Double(seconds) {
                    warnings.append("\(source): timeout = \(seconds) capped at vmsnap's limit of \(Int(capped)) s")
                }
                freezeTimeout = Sourced(capped, source)
            }
        }
        let timeout = freezeTimeout ?? Sourced(VMSnapConfiguration.defaults.freezeTimeoutSeconds, .builtIn)

        var freezeWait = Sourced<Double?>(nil, .builtIn)
        if let (entry, source) = fromConf(.safeFreezeWaitInSeconds), case .integer(let seconds) = entry.value {
            if seconds < 1 {
                warnings.append(
                    "\(source): SafeFreezeWaitInSeconds = \(seconds) must be at least 1 (the peer fails at once with 122); the freeze timeout is used"
                )
            } else {
                freezeWait = Sourced(min(Double(seconds), timeout.value), source)
            }
        }

        let lockWait =
            overrides.freezeLockWaitSeconds.map { Sourced(Double($0), .commandLine("--freeze-lock-wait")) }
            ?? fromConfiguration("freezeLockWaitSeconds", configuration.freezeLockWaitSeconds)
            ?? Sourced(Double(GuardedFreezer.defaultLockWait.components.seconds), .builtIn)
        let lockPath =
            overrides.freezeLockPath.map { Sourced($0, .commandLine("--freeze-lock")) }
            ?? Sourced(GuardedFreezer.defaultLockPath, .builtIn)
        let expedite =
            overrides.expediteRcu.map { Sourced($0, .commandLine("--no-expedite-rcu")) }
            ?? fromConfiguration("expediteRcuDuringFreeze", configuration.expediteRcuDuringFreeze)
            ?? Sourced(true, .builtIn)

        var skipRules: [MountSkipRule] = []
        if let configurationFile {
            skipRules += configuration.mountsToSkip.map {
                MountSkipRule(
                    pattern: $0, glob: true,
                    source: .vmsnapConfiguration(path: configurationFile, key: "mountsToSkip"))
            }
        }
        if let (entry, source) = fromConf(.mountsToSkip), case .paths(let paths) = entry.value {
            skipRules += paths.map { MountSkipRule(pattern: $0, glob: false, source: source) }
        }
        let explicit = overrides.mounts.isEmpty ? nil : Sourced(overrides.mounts, .commandLine(overrides.mountFlag))
        let mountInfo: String
        do {
            mountInfo = try String(contentsOfFile: sources.mountInfoPath, encoding: .utf8)
        } catch {
            throw .commandLine("cannot read \(sources.mountInfoPath): \(error.localizedDescription)")
        }
        var mounts: [MountDecision]
        do {
            mounts = try MountPlanner.decide(
                mountInfo: mountInfo, explicit: explicit, skipRules: skipRules,
                devices: BlockDevices.read(sysfsRoot: sources.sysfsRoot, udevLinks: sources.resourceDiskLinks))
        } catch {
            throw .commandLine(error.description)
        }
        if !freeze.value {
            for index in mounts.indices {
                mounts[index].skipReasons.insert(Sourced("freezing is off", freeze.source), at: 0)
            }
        }

        let configuredScripts = configuration.scriptConfig.flatMap { fromConfiguration("scriptConfig", $0) }
        let scriptPath =
            sources.scriptConfigPath.map { Sourced($0, .commandLine("--script-config")) }
            ?? configuredScripts ?? Sourced(sources.scriptConfigDefaultPath, .builtIn)
        let readsScripts = sources.readsMachineFiles || scriptPath.source != .builtIn

        var concurrency = Sourced<Int?>(nil, .builtIn)
        if let (entry, source) = fromConf(.seqsnapshot), case .integer(let value) = entry.value {
            switch value {
            case 0: concurrency = Sourced(nil, source)
            case 1, 2: concurrency = Sourced(1, source)
            default:
                warnings.append(
                    "\(source): seqsnapshot = \(value): expected 0, 1 or 2; every disk is snapshotted at once")
            }
        }
        func flag(_ key: VMBackupConfKey) -> Sourced<Bool> {
            if let (entry, source) = fromConf(key), case .boolean(let value) = entry.value {
                return Sourced(value, source)
            }
            return Sourced(true, .builtIn)
        }
        let writeLog = flag(.writeLog)
        var eventFiles = writeLog.value ? Sourced(true, .builtIn) : Sourced(false, writeLog.source)
        if let (entry, source) = fromConf(.disableLogging), case .integer(let value) = entry.value {
            eventFiles = writeLog.value ? Sourced(value == 0, source) : eventFiles
        }

        let workloadConf: WorkloadConf?
        if let path = sources.workloadConfPath {
            guard let read = WorkloadConf.load(path: path) else {
                throw .commandLine("--workload-conf \(path): no such file")
            }
            workloadConf = read
        } else {
            workloadConf = sources.readsMachineFiles ? WorkloadConf.load(path: sources.workloadConfDefaultPath) : nil
        }
        warnings += workloadConf?.warnings ?? []

        var plan = JobPlan(
            freeze: freeze, mounts: mounts,
            mountsToFreeze: freeze.value ? MountPlanner.freezeOrder(mounts, explicit: explicit?.value) : [],
            freezeTimeoutSeconds: timeout, freezeWaitSeconds: freezeWait, freezeLockWaitSeconds: lockWait,
            freezeLockPath: lockPath, expediteRcu: expedite, scriptConfigPath: scriptPath,
            scripts: readsScripts ? ScriptPlugin(configPath: scriptPath.value) : nil, snapshotConcurrency: concurrency,
            uploadStatusAndLog: flag(.uploadStatusAndLog), writeLog: writeLog, eventFiles: eventFiles,
            configurationPath: configurationFile, vmbackupConf: conf, warnings: warnings)
        plan.configuration = configuration
        if let address = overrides.wireServer {
            plan.wireServer = Sourced(address, .commandLine("--wireserver"))
            plan.wireServerReason = "the WireServer is given by --wireserver"
        } else if let address = sources.environment[JobPlanSources.wireServerVariable], !address.isEmpty {
            let off = address == JobPlanSources.wireServerOff
            plan.wireServer = Sourced(off ? nil : address, .builtIn)
            plan.wireServerReason =
                off
                ? "the host path is switched off by \(JobPlanSources.wireServerVariable)=off"
                : "the WireServer is given by \(JobPlanSources.wireServerVariable)"
        } else if let address = configuration.wireServer, let configurationFile {
            plan.wireServer = Sourced(address, .vmsnapConfiguration(path: configurationFile, key: "wireServer"))
            plan.wireServerReason = "the WireServer is given by \(configurationFile) wireServer"
        } else if sources.readsMachineFiles,
            let evidence = AzurePlatform.evidence(
                sysfsRoot: sources.sysfsRoot, agentEndpointFile: sources.agentEndpointFile)
        {
            plan.wireServer = Sourced(WireServerClient.defaultAddress, .builtIn)
            plan.wireServerReason = "on Azure (\(evidence))"
        } else {
            plan.wireServerReason =
                "off Azure: no Azure asset tag in DMI, no WireServer endpoint left by the agent, none configured (--wireserver, wireServer)"
        }
        plan.workloadConf = workloadConf
        return plan
    }
}
