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
            settings read to terminal status uploaded; snapshot phase spans the snapshot stage. The emulator adds \
            --latency-ms to every request.
            """)

    @Option(help: "Disks per job.") var disks = 16
    @Option(help: "Latency the emulator adds to every request, in milliseconds.") var latencyMs = 0
    @Option(help: "Measured runs (after one warm-up run).") var runs = 10
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func validate() throws {
        guard (1...1024).contains(disks) else { throw ValidationError("--disks must be 1...1024") }
        guard (0...10_000).contains(latencyMs) else { throw ValidationError("--latency-ms must be 0...10000") }
        guard (1...1000).contains(runs) else { throw ValidationError("--runs must be 1...1000") }
    }

    func run() async throws {
        let emulator = BlobEmulator(
            configuration: EmulatorConfiguration(
                faults: latencyMs > 0 ? [FaultRule(action: .latency(ms: latencyMs))] : []))
        _ = try await emulator.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "vmsnap-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let times: (job: [Double], snapshot: [Double])
        do {
            times = try await measure(emulator, in: directory)
        } catch {
            try? await emulator.stop()
            throw error
        }
        try await emulator.stop()
        report(jobTimes: times.job, snapshotTimes: times.snapshot)
    }

    /// Runs the warm-up and the measured jobs; returns the measured job and snapshot-phase times (ms).
    private func measure(_ emulator: BlobEmulator, in directory: URL) async throws -> (
        job: [Double], snapshot: [Double]
    ) {
        for index in 0..<disks {
            emulator.createPageBlob(container: "vhds", blob: "disk\(index)", size: 1 << 20, metadata: [:])
        }
        var jobTimes: [Double] = []
        var snapshotTimes: [Double] = []
        for run in 0...runs {
            let settings = try writeSettings(emulator, into: directory.appendingPathComponent("run\(run)"))
            let options = SnapshotJobOptions(
                statusDirectory: directory.appendingPathComponent("run\(run)/status").path,
                logDirectory: directory.appendingPathComponent("run\(run)/log").path)
            let started = ContinuousClock.now
            let job = SnapshotJob.load(settingsPath: settings.path, options: options)
            let phase = Task {
                var begun: Date?
                var took: Duration?
                for await event in job.events {
                    guard case .stage(let record) = event, record.stage == .snapshot else { continue }
                    if record.state == .running { begun = record.startedAt }
                    if let begun, let ended = record.endedAt {
                        took = .microseconds(Int(ended.timeIntervalSince(begun) * 1_000_000))
                    }
                }
                return took
            }
            let result = await job.run()
            let jobTime = ContinuousClock.now - started
            let snapshotTime = await phase.value
            guard result.code == 1, result.statusUploaded, let snapshotTime else {
                throw ValidationError("run \(run) failed: code \(result.code): \(result.message)")
            }
            if run > 0 {
                jobTimes.append(Self.milliseconds(jobTime))
                snapshotTimes.append(Self.milliseconds(snapshotTime))
            }
        }
        return (jobTimes, snapshotTimes)
    }

    private func report(jobTimes: [Double], snapshotTimes: [Double]) {
        let job = Summary(jobTimes)
        let snapshot = Summary(snapshotTimes)
        if json {
            let object: [String: Any] = [
                "disks": disks, "latencyMs": latencyMs, "runs": runs,
                "jobMs": ["median": job.median, "max": job.max],
                "snapshotPhaseMs": ["median": snapshot.median, "max": snapshot.max],
            ]
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("disks \(disks), latency \(latencyMs) ms, \(runs) runs (after 1 warm-up)")
            print(String(format: "job time:       median %7.1f ms, max %7.1f ms", job.median, job.max))
            print(String(format: "snapshot phase: median %7.1f ms, max %7.1f ms", snapshot.median, snapshot.max))
        }
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

    private static func milliseconds(_ duration: Duration) -> Double { Double(duration / .microseconds(1)) / 1000 }

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
