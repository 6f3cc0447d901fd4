import ArgumentParser
import Core
import Emulator
import Foundation

/// `bench snapshot`: times whole snapshot jobs against an in-process emulator.
struct BenchSnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Time snapshot jobs against an in-process emulator.",
        discussion: """
            Each run reads a settings file, starts a fresh blob client, pre-connects, snapshots every disk, writes \
            the status file and uploads the terminal status and the log (no scripts, no freeze). Job time spans \
            settings read to terminal status uploaded; snapshot phase spans the snapshot stage; connection setup \
            spans the pre-connect stage. The emulator adds --latency-ms to every request. With --tls it serves \
            https with a throw-away certificate that the client verifies (given as its CA bundle). Also printed: \
            requests per job, where each new connection's time went (DNS, TCP, TLS, first byte, from libcurl's \
            timing info), and the CPU the job took (the process's, less the emulator's threads). With --host the \
            host takes the snapshots: the emulator also plays the WireServer's backup host service, the job asks \
            presnapshot before the pre-connect and one dosnapshot for every disk (the snapshot phase).
            """)

    @Option(help: "Disks per job.") var disks = 16
    @Option(help: "Latency the emulator adds to every request, in milliseconds.") var latencyMs = 0
    @Option(help: "Measured runs (after one warm-up run).") var runs = 10
    @Flag(help: "Serve and verify https (a throw-away certificate, trusted as the client's CA bundle).") var tls = false
    @Flag(help: "Snapshot on the host path (presnapshot, then one dosnapshot) against the emulator's WireServer.")
    var host = false
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func validate() throws {
        if host && tls { throw ValidationError("--host calls the WireServer over plain http: leave out --tls") }
        guard (1...JobSettings.maximumDisks).contains(disks) else {
            throw ValidationError("--disks must be 1...\(JobSettings.maximumDisks)")
        }
        guard (0...10_000).contains(latencyMs) else { throw ValidationError("--latency-ms must be 0...10000") }
        guard (1...1000).contains(runs) else { throw ValidationError("--runs must be 1...1000") }
    }

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "vmsnap-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var trust: TrustAnchors?
        var certificate: EmulatorCertificate?
        if tls {
            let generated = try EmulatorCertificate.generate()
            let path = directory.appendingPathComponent("emulator-ca.pem").path
            try generated.writeCertificate(to: path)
            certificate = generated
            trust = .resolve(explicit: path, origin: "bench snapshot --tls")
        }
        let emulator = BlobEmulator(
            configuration: EmulatorConfiguration(
                faults: latencyMs > 0 ? [FaultRule(action: .latency(ms: latencyMs))] : [], tls: certificate))
        _ = try await emulator.start()
        let runs: [RunFigures]
        do {
            runs = try await measure(emulator, trust: trust, in: directory)
        } catch {
            try? await emulator.stop()
            throw error
        }
        try await emulator.stop()
        let store = trust.flatMap { try? TrustStoreFigures(anchors: $0) }
        report(runs, trustStore: store)
    }

    /// What one measured job took.
    private struct RunFigures {
        var job: Double
        var snapshotPhase: Double
        var connectionSetup: Double
        var cpu: Double
        var statistics: BlobClientStatistics
    }

    /// Runs the warm-up and the measured jobs, each with a fresh blob client; returns the measured runs.
    private func measure(_ emulator: BlobEmulator, trust: TrustAnchors?, in directory: URL) async throws
        -> [RunFigures]
    {
        for index in 0..<disks {
            emulator.createPageBlob(container: "vhds", blob: "disk\(index)", size: 1 << 20, metadata: [:])
        }
        if host {
            emulator.setHostVM(
                HostVM(disks: (0..<disks).map { HostVM.Disk(lun: $0 - 1, container: "vhds", blob: "disk\($0)") }))
        }
        var figures: [RunFigures] = []
        for run in 0...runs {
            let settings = try writeSettings(emulator, into: directory.appendingPathComponent("run\(run)"))
            var options = SnapshotJobOptions(
                statusDirectory: directory.appendingPathComponent("run\(run)/status").path,
                logDirectory: directory.appendingPathComponent("run\(run)/log").path)
            if host {
                options.hostPath = HostPathOptions(
                    wireServer: WireServerClient(address: emulator.wireServerURL), availability: "bench --host")
            }
            let cpuBefore = JobCPU.now()
            let started = ContinuousClock.now
            let client = BlobClient(configuration: BlobClient.Configuration(trustAnchors: trust))
            let job = SnapshotJob.load(settingsPath: settings.path, options: options, client: client)
            let stages = Task {
                var begun: [JobStage: ContinuousClock.Instant] = [:]
                var took: [JobStage: Duration] = [:]
                for await event in job.events {
                    // Timed as the events arrive (the records' own times are whole milliseconds).
                    guard case .stage(let record) = event else { continue }
                    if record.state == .running { begun[record.stage] = ContinuousClock.now }
                    if record.endedAt != nil, let start = begun[record.stage] {
                        took[record.stage] = ContinuousClock.now - start
                    }
                }
                return took
            }
            let result = await job.run()
            let jobTime = ContinuousClock.now - started
            let cpu = JobCPU.now().since(cpuBefore)
            let took = await stages.value
            guard result.code == 1, result.statusUploaded, let snapshotTime = took[.snapshot] else {
                throw ValidationError("run \(run) failed: code \(result.code): \(result.message)")
            }
            guard result.disks.count == disks, result.disks.allSatisfy({ ($0.path == .host) == host }) else {
                throw ValidationError("run \(run) did not snapshot every disk on the \(host ? "host" : "guest") path")
            }
            if run > 0 {
                figures.append(
                    RunFigures(
                        job: Self.milliseconds(jobTime), snapshotPhase: Self.milliseconds(snapshotTime),
                        connectionSetup: Self.milliseconds(took[.preconnect] ?? .zero), cpu: cpu,
                        statistics: client.statistics))
            }
        }
        return figures
    }

    /// The process's certificate store as the jobs used it (loaded by the warm-up run).
    private struct TrustStoreFigures {
        var loadMilliseconds: Double
        var certificates: Int

        init(anchors: TrustAnchors) throws {
            let store = try TrustStore.shared(anchors)
            loadMilliseconds = BenchSnapshotCommand.milliseconds(store.loadTime)
            certificates = store.certificatesLoaded
        }
    }

    private func report(_ runs: [RunFigures], trustStore: TrustStoreFigures?) {
        let job = Summary(runs.map(\.job))
        let snapshot = Summary(runs.map(\.snapshotPhase))
        let setup = Summary(runs.map(\.connectionSetup))
        let cpu = Summary(runs.map(\.cpu))
        let requests = Summary(runs.map { Double($0.statistics.totalRequests) })
        let connections = Summary(runs.map { Double($0.statistics.connections.count) })
        let newConnections = runs.flatMap(\.statistics.connections)
        func phase(_ part: KeyPath<TransferTiming, Duration>) -> Double {
            Summary(newConnections.map { Self.milliseconds($0.timing[keyPath: part]) }).median
        }
        let resumed = newConnections.filter { $0.tlsSessionResumed == true }.count
        var methods: [String: Int] = [:]
        for run in runs { methods.merge(run.statistics.requests, uniquingKeysWith: +) }
        let perJob = methods.sorted { $0.key < $1.key }.map { "\($0.key) \(Double($0.value) / Double(runs.count))" }
        let load = Self.loadAverage()
        if json {
            var object: [String: Any] = [
                "disks": disks, "latencyMs": latencyMs, "runs": runs.count, "tls": tls, "host": host,
                "loadAverage": load,
                "jobMs": ["median": job.median, "max": job.max],
                "snapshotPhaseMs": ["median": snapshot.median, "max": snapshot.max],
                "connectionSetupMs": ["median": setup.median, "max": setup.max],
                "cpuMs": ["median": cpu.median, "max": cpu.max],
                "requestsPerJob": requests.median, "connectionsPerJob": connections.median,
                "newConnectionMs": [
                    "dns": phase(\.nameLookup), "tcp": phase(\.tcpConnect), "tls": phase(\.tlsHandshake),
                    "firstByte": phase(\.firstByte),
                ],
                "tlsSessionsResumed": resumed, "newConnections": newConnections.count,
            ]
            if let trustStore {
                object["trustStore"] = ["loadMs": trustStore.loadMilliseconds, "certificates": trustStore.certificates]
            }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print(
            "disks \(disks), latency \(latencyMs) ms, \(tls ? "https (certificate verified)" : "plain http"), "
                + (host ? "host path (presnapshot + dosnapshot), " : "")
                + "\(runs.count) runs (after 1 warm-up), load average \(String(format: "%.1f", load))")
        print(String(format: "job time:         median %7.1f ms, max %7.1f ms", job.median, job.max))
        print(String(format: "snapshot phase:   median %7.1f ms, max %7.1f ms", snapshot.median, snapshot.max))
        print(
            String(
                format: "connection setup: median %7.1f ms, max %7.1f ms (pre-connect stage)", setup.median, setup.max))
        print(
            String(
                format: "CPU per job:      median %7.1f ms, max %7.1f ms (emulator threads excluded)", cpu.median,
                cpu.max))
        print(
            String(format: "requests per job: %.0f (", requests.median) + perJob.joined(separator: ", ")
                + String(format: "), new connections per job: %.0f", connections.median))
        print(
            String(
                format: "new connection, median: DNS %.2f ms, TCP %.2f ms, TLS %.2f ms, first byte %.2f ms",
                phase(\.nameLookup), phase(\.tcpConnect), phase(\.tlsHandshake), phase(\.firstByte))
                + (tls ? "; TLS sessions resumed: \(resumed) of \(newConnections.count)" : ""))
        if let trustStore {
            print(
                String(
                    format: "CA store: loaded once per process in %.2f ms (%d certificates), by the warm-up job",
                    trustStore.loadMilliseconds, trustStore.certificates))
        }
    }

    /// The 1-minute load average (how busy the machine was).
    private static func loadAverage() -> Double {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").first.flatMap { Double($0) } ?? 0
    }

    /// A `config/N.settings`-style file for the emulator's disks, with a fresh taskId.
    private func writeSettings(_ emulator: BlobEmulator, into directory: URL) throws -> URL {
        let ticks = Int64((Date().timeIntervalSince1970 + 62_135_596_800) * 10_000_000)
        func base64(_ object: Any) throws -> String {
            try JSONSerialization.data(withJSONObject: object).base64EncodedString()
        }
        let diskURIs = (0..<disks).map { emulator.sasURI(container: "vhds", blob: "disk\($0)") }
        let handlerSettings: [String: Any] = [
            "publicSettings": [
                "taskId": UUID().uuidString, "commandToExecute": "snapshot", "commandStartTimeUTCTicks": String(ticks),
                "vmType": "microsoft.compute/virtualmachines", "locale": "en-us",
                "objectStr": try base64(["backupMetadata": [["Key": "bench", "Value": "1"]]]),
            ] as [String: Any],
            "protectedSettings": [
                "objectStr": try base64(["blobSASUri": diskURIs]),
                "statusBlobUri": emulator.sasURI(container: "vhds", blob: "status.json"),
                "logsBlobUri": emulator.sasURI(container: "vhds", blob: "log.txt"),
            ],
        ]
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("0.settings")
        try JSONSerialization.data(withJSONObject: ["runtimeSettings": [["handlerSettings": handlerSettings]]])
            .write(to: file)
        return file
    }

    fileprivate static func milliseconds(_ duration: Duration) -> Double {
        Double(duration / .microseconds(1)) / 1000
    }

    /// Median and maximum of a series.
    private struct Summary {
        var median: Double
        var max: Double

        init(_ values: [Double]) {
            let sorted = values.sorted()
            median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
            max = sorted.last ?? 0
        }
    }
}
