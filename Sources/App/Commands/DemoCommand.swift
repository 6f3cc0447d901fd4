import ArgumentParser
import Core
import Emulator
import Foundation
import TUI

/// `vmsnap demo`: the dashboard against an in-process emulator and a sample VM's plugin directory in a temp dir.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Try the dashboard: emulated storage, a sample VM, snapshots triggered with t.",
        discussion: """
            Nothing is frozen unless --freeze-mount names a mount point; then exactly the named mounts (and never \
            any discovered one) are frozen around each triggered snapshot, and the confirmation names them.
            """)

    @Option(help: "Number of disks of the sample VM (1-64).")
    var disks = 4

    @Flag(name: .customLong("read-only"), help: "Never trigger snapshots from the dashboard.")
    var readOnly = false

    @Option(
        name: .customLong("freeze-mount"),
        help: "A mount point to freeze during triggered snapshots (repeatable; default: freeze nothing).")
    var freezeMounts: [String] = []

    @Option(help: "The exclusive freeze lock (shared with Site Recovery).")
    var freezeLock = GuardedFreezer.defaultLockPath

    @Flag(help: "Triggered jobs take the host path: the emulator plays the WireServer's backup host service.")
    var host = false

    func validate() throws {
        guard (1...64).contains(disks) else { throw ValidationError("--disks: expected 1 to 64, got \(disks)") }
        for mount in freezeMounts where !mount.hasPrefix("/") {
            throw ValidationError("--freeze-mount: expected an absolute mount point, got '\(mount)'")
        }
        if Set(freezeMounts).count != freezeMounts.count {
            throw ValidationError("--freeze-mount: a mount point is named twice")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        if let problem = CursesTerminal.unavailableReason(environment: environment) {
            FileHandle.standardError.write(Data("vmsnap demo: \(problem)\n".utf8))
            throw ExitCode(2)
        }
        let demo = try await DemoVM.start(disks: disks)
        defer { demo.remove() }
        if host {
            demo.emulator.setHostVM(
                HostVM(
                    disks: demo.diskNames.enumerated().map { index, name in
                        HostVM.Disk(lun: index - 1, container: DemoVM.container, blob: name)
                    }))
        }
        let freezeTimeout = VMSnapConfiguration.defaults.freezeTimeoutSeconds
        let locations = MonitorSourceLocations(
            statusBlobURI: demo.statusBlobReadURI, pluginDirectory: demo.pluginDirectory,
            logFile: (demo.logDirectory as NSString).appendingPathComponent(ExtensionLog.fileName), interval: 1)
        var model = DashboardModel(
            vmName: "demo-vm (emulator \(demo.emulator.baseURL))", freezeTimeout: freezeTimeout,
            sources: locations.freshness(), canTrigger: !readOnly,
            triggerUnavailableReason: "read-only: triggering is disabled (--read-only)")
        model.settings = PluginDirectory(path: demo.pluginDirectory).redactedNewestSettings()
        let feed = DashboardFeed(model)
        // The sample VM reads none of this machine's files: only the named mounts are ever frozen.
        var planSources = JobPlanSources()
        planSources.readsMachineFiles = false
        let planner = TriggerPlanner(
            feed: feed, sources: planSources,
            overrides: JobPlanOverrides(
                freeze: freezeMounts.isEmpty ? nil : true, freezesByDefault: false, mounts: freezeMounts,
                freezeLockPath: freezeLock,
                mountFlag: "--freeze-mount", wireServer: host ? demo.emulator.wireServerURL : nil))
        let driver = LiveJobDriver(feed: feed, freezeTimeout: freezeTimeout) {
            let settings = try demo.nextJobSettings()
            let options = try planner.confirmedPlan().options(
                statusDirectory: (demo.pluginDirectory as NSString).appendingPathComponent("status"),
                logDirectory: demo.logDirectory)
            return SnapshotJob(settings: settings, options: options)
        }
        let fetcher = BlobStatusFetcher(uri: try SASBlobURI(demo.statusBlobReadURI))
        let polling = Task { await DashboardSources.run(locations: locations, fetcher: fetcher, feed: feed) }
        defer { polling.cancel() }
        try await DashboardRunner(
            feed: feed, environment: environment, explain: CodeExplanation.lookup, prepareTrigger: planner.prepare,
            onTrigger: { driver.trigger() }
        ).run()
        await driver.finish(reason: "the dashboard quit")
        try? await demo.emulator.stop()
    }
}

/// The demo's sample VM: an emulator with one page blob per disk and a status container, and a plugin
/// directory (HandlerEnvironment.json, config/N.settings, status/) plus a log directory in a temp dir.
struct DemoVM: Sendable {
    static let container = "vhds"
    static let statusContainer = "bcdrextensionlogs-demo"
    static let statusBlob = "demo-vm.Status.txt"
    /// The disk whose first snapshot attempts fail with 503 ServerBusy, so retries show.
    static let flakyDisk = 1

    let emulator: BlobEmulator
    let root: String
    let pluginDirectory: String
    let logDirectory: String
    let diskNames: [String]
    let statusBlobReadURI: String
    private let sequence = SequenceCounter()

    static func start(disks: Int) async throws -> DemoVM {
        let root = try temporaryDirectory()
        let plugin = "\(root)/waagent/\(ExtensionIdentity.name)-\(ExtensionIdentity.version)"
        let log = "\(root)/log/\(ExtensionIdentity.name)"
        for folder in ["\(plugin)/config", "\(plugin)/status", log] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        let environment: [[String: Any]] = [
            [
                "name": ExtensionIdentity.name, "version": 1.0,
                "handlerEnvironment": [
                    "logFolder": log, "configFolder": "\(plugin)/config", "statusFolder": "\(plugin)/status",
                    "heartbeatFile": "\(plugin)/heartbeat.log",
                ],
            ]
        ]
        try JSONSerialization.data(withJSONObject: environment, options: [.prettyPrinted])
            .write(to: URL(fileURLWithPath: "\(plugin)/HandlerEnvironment.json"))
        let emulator = BlobEmulator(configuration: EmulatorConfiguration(threads: 1))
        _ = try await emulator.start()
        let names = (0..<disks).map { $0 == 0 ? "osdisk.vhd" : "datadisk-lun\($0 - 1).vhd" }
        for name in names {
            emulator.createPageBlob(container: container, blob: name, size: 64 << 20)
        }
        emulator.createContainer(container: statusContainer)
        let demo = DemoVM(
            emulator: emulator, root: root, pluginDirectory: plugin, logDirectory: log, diskNames: names,
            statusBlobReadURI: emulator.sasURI(container: statusContainer, blob: Self.statusBlob, permissions: "r"))
        _ = try demo.writeSettings()
        try await demo.seedPreviousJob()
        return demo
    }

    /// A finished job from an hour ago, as the peer extension would have reported it (string code,
    /// `\/Date(ms)\/` timestamp), in the status blob and status/0.status, and a first line in extension.log.
    private func seedPreviousJob() async throws {
        let written = Date().addingTimeInterval(-3600)
        let milliseconds = Int64(written.timeIntervalSince1970 * 1000)
        let snapshotTime = ISO8601DateFormatter().string(from: written)
        let base = emulator.baseURL + "/" + EmulatorConfiguration.developmentAccount + "/" + Self.container
        let disks: [[String: Any]] = diskNames.map { name in
            [
                "isSuccessful": true, "snapshotUri": "\(base)/\(name)?snapshot=\(snapshotTime)", "errorMessage": "",
                "blobUri": "\(base)/\(name)",
            ]
        }
        let message =
            #"{"messageStr": "previous job (seeded by vmsnap demo)", "snapshotConsistency": 1, "jobMessage": ""}"#
        let document: [[String: Any]] = [
            [
                "version": ExtensionIdentity.version, "timestampUTC": "/Date(\(milliseconds))/",
                "status": [
                    "name": ExtensionIdentity.name, "operation": "Enable", "status": "success", "code": "1",
                    "taskId": "\(UUID().uuidString.lowercased())_0", "substatus": [] as [Any],
                    "formattedMessage": ["lang": "en-US", "message": message], "snapshotInfo": disks,
                    "telemetryData": [
                        ["Key": "extensionVersion", "Value": ExtensionIdentity.version],
                        ["Key": "prePostEnabled", "Value": "False"], ["Key": "FreezeTime", "Value": "0:00:00.021403"],
                        ["Key": "ThawTime", "Value": "0:00:00.004118"],
                        ["Key": "snapshotTimeTaken", "Value": "0:00:01.135092"],
                    ],
                    "vmHealthInfo": ["vmHealthState": 0, "vmHealthStatusCode": 1],
                ] as [String: Any],
            ]
        ]
        let body = try JSONSerialization.data(withJSONObject: document)
        try body.write(to: URL(fileURLWithPath: "\(pluginDirectory)/status/0.status"))
        let writer = try SASBlobURI(
            emulator.sasURI(container: Self.statusContainer, blob: Self.statusBlob, permissions: "rcw"))
        _ = try await BlobClient().putBlockBlob(writer, body: body, contentType: "application/json")
        ExtensionLog(directory: logDirectory).write(
            "vmsnap demo: sample VM with \(diskNames.count) disk(s) on \(emulator.baseURL); press t to snapshot")
    }

    /// Writes the next config/N.settings (a fresh taskId, scheduled now), resets the faults, and loads it the way
    /// the extension does.
    func nextJobSettings() throws -> JobSettings {
        let (path, sequenceNumber) = try writeSettings()
        emulator.setFaults(
            [
                FaultRule(
                    blob: diskNames[Self.flakyDisk % diskNames.count], operation: .snapshot,
                    action: .failFirst(2, status: 503, code: "ServerBusy"))
            ]
                + diskNames.enumerated().map { index, name in
                    FaultRule(blob: name, operation: .snapshot, action: .latency(ms: 150 + 120 * (index % 5)))
                })
        return try SettingsLoader.load(path: path, sequenceNumber: sequenceNumber)
    }

    /// The public and (unencrypted, as the agent allows without a thumbprint) protected settings of one job.
    private func writeSettings() throws -> (path: String, sequence: Int) {
        let sequenceNumber = sequence.next()
        let ticks = Int64(Date().timeIntervalSince1970 * 10_000_000) + DotNetTicks.unixEpoch
        let metadata = try JSONSerialization.data(withJSONObject: [
            "backupMetadata": [["Key": "BackupSource", "Value": "vmsnap-demo"]],
            "includedDisks": ["dataDiskLunList": Array(0..<max(0, diskNames.count - 1)), "isOSDiskIncluded": true],
        ])
        let disks = diskNames.map { emulator.sasURI(container: Self.container, blob: $0, permissions: "rw") }
        let protected: [String: Any] = [
            "objectStr": String(
                decoding: try JSONSerialization.data(withJSONObject: ["blobSASUri": disks]), as: UTF8.self),
            "statusBlobUri": emulator.sasURI(
                container: Self.statusContainer, blob: Self.statusBlob, permissions: "rcw"),
            "logsBlobUri": emulator.sasURI(
                container: Self.statusContainer, blob: "demo-vm.Logs.txt", permissions: "rcw"),
        ]
        let settings: [String: Any] = [
            "runtimeSettings": [
                [
                    "handlerSettings": [
                        "publicSettings": [
                            "locale": "en-us", "taskId": "\(UUID().uuidString.lowercased())_\(sequenceNumber)",
                            "commandToExecute": "snapshot", "commandStartTimeUTCTicks": String(ticks),
                            "vmType": "microsoft.compute/virtualmachines", "objectStr": metadata.base64EncodedString(),
                        ],
                        "protectedSettings": protected,
                    ]
                ]
            ]
        ]
        let path = "\(pluginDirectory)/config/\(sequenceNumber).settings"
        try JSONSerialization.data(withJSONObject: settings).write(to: URL(fileURLWithPath: path))
        return (path, sequenceNumber)
    }

    /// Deletes the temp dir (settings hold SAS URIs of the emulator only, but nothing is left behind).
    func remove() { try? FileManager.default.removeItem(atPath: root) }

    private static func temporaryDirectory() throws -> String {
        var template = Array("\(NSTemporaryDirectory())/vmsnap-demo-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw ValidationError("cannot create a temporary directory") }
        return String(cString: made)
    }
}

/// The next sequence number N of config/N.settings.
private final class SequenceCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = -1

    func next() -> Int {
        lock.withLock {
            value += 1
            return value
        }
    }
}
