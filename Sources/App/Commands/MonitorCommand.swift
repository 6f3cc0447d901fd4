import ArgumentParser
import Core
import Foundation
import TUI

/// Where `monitor` and `status --once` read from; what is not given comes from the config file, then discovery.
struct MonitorSourceOptions: ParsableArguments {
    @Option(help: "vmsnap configuration file (see config.example.json).")
    var config: String?

    @Option(name: .customLong("status-blob"), help: "Status blob SAS URI to poll, or 'discover' (newest settings).")
    var statusBlob: String?

    @Option(name: .customLong("plugin-dir"), help: "The extension's plugin directory (status/, config/).")
    var pluginDirectory: String?

    @Option(name: .customLong("log-dir"), help: "The directory holding extension.log.")
    var logDirectory: String?

    @Option(help: "Poll interval in seconds, 1 to 3600 (default: the configuration's pollIntervalSeconds, 2).")
    var interval: Double?

    @Flag(help: "Show times in UTC (default: the configuration's timeZone, local time with its zone label).")
    var utc = false
    @OptionGroup var trust: TrustOptions

    func validate() throws {
        let range = VMSnapConfiguration.pollIntervalRange
        if let interval, !range.contains(interval) {
            throw ValidationError(
                "--interval: expected \(Int(range.lowerBound)) to \(Int(range.upperBound)) seconds, found \(interval)")
        }
        if let statusBlob, statusBlob != VMSnapConfiguration.discoverKeyword {
            let uri: SASBlobURI
            do {
                uri = try SASBlobURI(statusBlob)
            } catch {
                throw ValidationError("--status-blob: \(error.description)")
            }
            // The checks a job's URIs pass, for polling: https off this machine (a poll sends the signature),
            // unexpired, `r` in sp.
            let problems = SASPolicy.violations(uri, for: .statusPoll)
            guard problems.isEmpty else {
                throw ValidationError("--status-blob: " + problems.map(\.description).joined(separator: "; "))
            }
        }
    }

    /// The configuration file, when one was given. A broken one is named without the usage text (it is not a
    /// misused command) and exits 64, apart from `status --once`'s job exit statuses.
    func configuration() throws -> VMSnapConfiguration? {
        guard let config else { return nil }
        do {
            return try VMSnapConfiguration.load(path: config)
        } catch {
            TerminalOutput.standardError("Error: \(error.description)\n")
            throw ExitCode.validationFailure
        }
    }

    func locations(_ configuration: VMSnapConfiguration?) -> MonitorSourceLocations {
        MonitorSourceLocations.resolve(
            statusBlob: statusBlob, pluginDirectory: pluginDirectory, logDirectory: logDirectory, interval: interval,
            configuration: configuration)
    }

    /// The status blob fetcher (libcurl), when a status blob is known; `timeout` bounds each poll.
    func fetcher(
        _ locations: MonitorSourceLocations, _ configuration: VMSnapConfiguration?, timeout: Duration? = nil
    ) -> (any StatusBlobFetching)? {
        locations.statusBlobURI.flatMap { try? SASBlobURI($0) }.map {
            BlobStatusFetcher(uri: $0, client: trust.blobClient(configuration), timeout: timeout)
        }
    }

    /// The zone people-facing times are shown in: `--utc`, else the configuration's `timeZone`, else local.
    func zone(_ configuration: VMSnapConfiguration?) -> ClockZone {
        utc ? .utc : (configuration?.clock ?? .local).zone
    }
}

/// `vmsnap monitor`: the live dashboard.
struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor", abstract: "Live dashboard of the snapshot extension on this VM.")

    @OptionGroup var sources: MonitorSourceOptions

    @Flag(name: .customLong("read-only"), help: "Never trigger snapshots from the dashboard.")
    var readOnly = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        if let problem = CursesTerminal.unavailableReason(environment: environment) {
            FileHandle.standardError.write(Data("vmsnap monitor: \(problem)\n".utf8))
            throw ExitCode(2)
        }
        let configuration = try sources.configuration()
        let locations = sources.locations(configuration)
        // The trigger runs the agent's job: the same plan `handler enable` resolves, confirmed before it runs.
        let planSources = JobPlanSources(configurationPath: sources.config)
        let startPlan = Result { () throws(JobPlanError) in
            try JobPlan.resolve(sources: planSources, overrides: .agentJob())
        }
        let freezeTimeout =
            (try? startPlan.get())?.freezeTimeoutSeconds.value ?? configuration?.freezeTimeoutSeconds
            ?? VMSnapConfiguration.defaults.freezeTimeoutSeconds
        let plugin = locations.pluginDirectory.map(PluginDirectory.init(path:))
        var model = DashboardModel(
            vmName: ProcessInfo.processInfo.hostName, freezeTimeout: freezeTimeout, sources: locations.freshness(),
            canTrigger: !readOnly && plugin?.newestSettings != nil,
            triggerUnavailableReason: readOnly
                ? "read-only: triggering is disabled (--read-only)" : "no settings in the plugin directory to run")
        model.settings = plugin?.redactedNewestSettings()
        if let problem = plugin?.environmentProblem { model.notice = (problem, .warning, Date()) }
        switch startPlan {
        case .success(let plan): model.jobPlanText = plan.text()
        case .failure(let error): model.jobPlanText = "The job plan cannot be made: \(error)\n"
        }
        let feed = DashboardFeed(model)
        let planner = TriggerPlanner(feed: feed, sources: planSources, overrides: .agentJob())
        let driver = LiveJobDriver(feed: feed, freezeTimeout: freezeTimeout) {
            guard let plugin else { throw ValidationError("no plugin directory") }
            let plan = try planner.confirmedPlan()
            let options = plan.options(
                logDirectory: locations.logFile.map { ($0 as NSString).deletingLastPathComponent })
            let log = ExtensionLog(directory: options.logDirectory)
            plan.log(to: log)
            return plugin.snapshotJob(options: options, client: sources.trust.blobClient(configuration), log: log)
        }
        let polling = Task {
            await DashboardSources.run(
                locations: locations, fetcher: sources.fetcher(locations, configuration), feed: feed)
        }
        defer { polling.cancel() }
        try await DashboardRunner(
            feed: feed, environment: environment, zone: sources.zone(configuration),
            palette: Palette(rawValue: (configuration?.theme ?? .dark).rawValue) ?? .dark,
            explain: CodeExplanation.lookup, prepareTrigger: planner.prepare,
            onTrigger: { driver.trigger() }
        ).run()
        await driver.finish(reason: "the dashboard quit")
    }
}
