import ArgumentParser
import Core
import Foundation
import TUI

/// `vmsnap fleet`: many VMs' status blobs, one row per VM, worst first: a live screen, or read once (`--once`).
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Many VMs' status blobs, one row per VM, worst first: a live screen, or printed once (--once).",
        discussion: """
            --container SAS_URI (a container SAS with r and l in sp) makes every blob of the container a VM, named \
            by the blob (listed page by page); --vms FILE lists one VM a line, 'NAME SAS_URI' (the status blob, with r in sp); blank lines and # \
            comments are ignored; a bad line is an error naming the file and line (exit 64). Every blob is read \
            concurrently on one libcurl multi handle (connections to a storage host are shared). Rows are sorted \
            STUCK, FAILED, WARNING, RUNNING, SUCCEEDED, then NO JOB (unreadable blobs first, then VMs without a \
            status blob yet), with the code, the document's age, failed disks and the cause. \
            Without --once the live screen re-reads every blob each --interval seconds (conditional GETs, a failing \
            blob backed off) and shows when each row was last read; l filters, / n N search, Enter opens the VM's \
            dashboard on its status blob and q there comes back. --once reads once and prints; --json prints \
            schema \(FleetReport.schema). Exit status of --once: the worst VM's, as status --once has it (0 every \
            VM succeeded).
            """)

    @Option(help: "The VMs: one 'NAME SAS_URI' a line.") var vms: String?
    @Option(help: "A container SAS URI (sp with r and l): each blob in it is a VM's status blob, named by the blob.")
    var container: String?
    @Flag(help: "Read every status blob once and print, instead of the live screen.") var once = false
    @Flag(help: "With --once: print JSON (schema \(FleetReport.schema)).") var json = false
    @Option(help: "The live screen's seconds between poll cycles, 1 to 3600.") var interval: Double = 30
    @Option(help: "Longest wait for one status blob, in seconds (1 to 300).") var timeout: Double = 10
    @Option(help: "Most status blobs read at once (1 to 1024).") var concurrency = 64
    @Flag(help: "Show times in UTC (default: the configuration's timeZone, local time with its zone label).")
    var utc = false
    @OptionGroup var trust: TrustOptions
    @Option(help: "vmsnap's configuration file (its caBundle verifies the storage endpoints).") var config: String?

    func validate() throws {
        guard vms != nil || container != nil else {
            throw ValidationError("give --vms FILE, --container SAS_URI or both")
        }
        guard !json || once else { throw ValidationError("--json prints the rows once: add --once") }
        guard VMSnapConfiguration.pollIntervalRange.contains(interval) else {
            throw ValidationError("--interval: expected 1 to 3600 seconds, found \(interval)")
        }
        guard (1...300).contains(timeout) else { throw ValidationError("--timeout: expected 1 to 300 seconds") }
        guard (1...1024).contains(concurrency) else { throw ValidationError("--concurrency: expected 1 to 1024") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        if !once, let problem = CursesTerminal.unavailableReason(environment: environment) {
            TerminalOutput.standardError(
                "vmsnap fleet: \(problem.reason); the live fleet screen needs an interactive terminal. For scripts use "
                    + "`vmsnap fleet --once` (add --json for machine-readable output).\n")
            throw ExitCode(2)
        }
        let configuration: VMSnapConfiguration?
        do {
            configuration = try config.map { path throws(ConfigurationError) in try VMSnapConfiguration.load(path: path)
            }
        } catch {
            TerminalOutput.standardError("Error: \(error.description)\n")
            throw ExitCode.validationFailure
        }
        let client = trust.blobClient(configuration)
        let wait = Duration.milliseconds(Int(timeout * 1000))
        let targets = try await targets(client: client, timeout: wait)
        guard !once else {
            let rows = await FleetPoller(targets, client: client, timeout: wait, concurrency: concurrency).cycle()
            let report = FleetReport(rows: rows, generatedAt: Date())
            if json {
                FileHandle.standardOutput.write(report.json())
            } else {
                TerminalOutput.standardOutput(report.text())
            }
            if report.exitStatus != 0 { throw ExitCode(report.exitStatus) }
            return
        }
        let poller = FleetPoller(
            targets, client: client, timeout: wait, concurrency: concurrency, interval: interval)
        let feed = ModelFeed(FleetModel(inventory: inventory, interval: interval))
        let polling = Task {
            while !Task.isCancelled {
                let started = Date()
                let rows = await poller.cycle(now: started)
                feed.update { $0.record(rows, startedAt: started, finishedAt: Date()) }
                try? await Task.sleep(for: .seconds(max(0.1, interval - Date().timeIntervalSince(started))))
            }
        }
        defer { polling.cancel() }
        let zone = utc ? .utc : (configuration?.clock ?? .local).zone
        let palette = Palette(rawValue: (configuration?.theme ?? .dark).rawValue) ?? .dark
        let vmInterval = configuration?.pollIntervalSeconds ?? VMSnapConfiguration.defaults.pollIntervalSeconds
        try await FleetRunner(
            feed: feed, environment: environment, zone: zone, palette: palette, explain: CodeExplanation.lookup
        ) { name, screen in
            guard let target = targets.first(where: { $0.name == name }) else { return }
            Self.runDashboard(
                of: target, on: screen, client: client, timeout: wait, interval: vmInterval, zone: zone,
                environment: environment)
        }.run()
    }

    /// Where the VMs came from, as the screen's title names them (a container without its SAS query).
    private var inventory: String {
        let container = container.map { uri in
            "container " + ((try? FleetContainer(uri).base) ?? Redactor.redact(uri))
        }
        return [vms, container].compactMap { $0 }.joined(separator: " + ")
    }

    /// The VMs of `--vms` and `--container`; a bad inventory exits 64 naming it.
    private func targets(client: BlobClient, timeout: Duration) async throws -> [FleetTarget] {
        var targets: [FleetTarget] = []
        do {
            if let vms {
                let text = try String(contentsOfFile: vms, encoding: .utf8)
                targets += try FleetInventory.parse(text, file: vms)
            }
            if let container {
                targets += try await FleetContainer(container).targets(client: client, timeout: timeout)
            }
        } catch let error as FleetInventoryError {
            TerminalOutput.standardError("Error: \(error.description)\n")
            throw ExitCode.validationFailure
        } catch {
            TerminalOutput.standardError("Error: cannot read \(vms ?? ""): \(error.localizedDescription)\n")
            throw ExitCode.validationFailure
        }
        return targets
    }

    /// The single-VM dashboard on one VM's status blob, on the fleet's screen, until its `q` (read-only: the VM
    /// is elsewhere; no plugin directory, no log).
    private static func runDashboard(
        of target: FleetTarget, on screen: any DashboardScreen, client: BlobClient, timeout: Duration,
        interval: TimeInterval, zone: ClockZone, environment: [String: String]
    ) {
        let locations = MonitorSourceLocations(
            statusBlobURI: target.statusBlob.original, pluginDirectory: nil, logFile: nil, interval: interval)
        var model = DashboardModel(
            vmName: target.name, freezeTimeout: VMSnapConfiguration.defaults.freezeTimeoutSeconds,
            sources: locations.freshness(), logName: "no log (a fleet VM: its status blob only)",
            triggerUnavailableReason: "opened from vmsnap fleet: this dashboard only reads the VM's status blob")
        model.backTo = "fleet"
        let feed = DashboardFeed(model)
        let fetcher = BlobStatusFetcher(uri: target.statusBlob, client: client, timeout: timeout)
        let polling = Task { await DashboardSources.run(locations: locations, fetcher: fetcher, feed: feed) }
        defer { polling.cancel() }
        DashboardRunner(
            feed: feed, environment: environment, zone: zone, explain: CodeExplanation.lookup, prepareTrigger: {},
            onTrigger: {}
        ).runLoop(on: screen)
    }
}
