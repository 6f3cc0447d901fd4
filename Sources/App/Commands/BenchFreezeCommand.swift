import ArgumentParser
import Benchmarks
import Core
import Emulator
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `vmsnap bench freeze`: the freeze window of real jobs on loop filesystems against the emulator (needs root).
struct BenchFreezeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "freeze",
        abstract: "Measure the freeze window (first FIFREEZE to last FITHAW) on scratch ext4 loop filesystems.",
        discussion: """
            Creates --disks ext4 filesystems on loop devices and as many page blobs in an in-process emulator that
            delays every snapshot by --latency-ms, then runs --runs snapshot jobs that freeze all of them through
            the thaw guard. Target: window <= latency + 25 ms. With --workload-conf each job also quiesces that
            database through the database guard and the database window (writes blocked, for MySQL/MariaDB) is
            printed beside the freeze window. Needs root; removes everything it created.
            """)

    @Option(help: "Number of filesystems and disks.")
    var disks = 2

    @Option(help: "Emulator latency added to every snapshot request, in milliseconds.")
    var latencyMs = 0

    @Option(help: "Number of jobs to run.")
    var runs = 5

    @Option(
        help: ArgumentHelp(
            "Where the filesystem images go.",
            discussion: "tmpfs keeps the host disk's flush latency (paid by FITHAW's superblock write) out."))
    var imageDirectory = "/dev/shm"

    @Flag(
        inversion: .prefixedNo,
        help: "Expedite RCU grace periods during FIFREEZE (rcu_expedited held at 1 for those calls, then put back).")
    var expediteRcu = true

    @Option(help: "The vmsnap binary that runs freeze-guard (default: this one).")
    var guardExecutable = "/proc/self/exe"

    @Option(help: "A workload.conf: quiesce that database around every freeze and report its window.")
    var workloadConf: String?

    @Flag(help: "Print the samples as JSON.")
    var json = false

    func validate() throws {
        guard (1...64).contains(disks) else { throw ValidationError("--disks must be 1...64, got \(disks)") }
        guard latencyMs >= 0 else { throw ValidationError("--latency-ms must not be negative, got \(latencyMs)") }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1, got \(runs)") }
        guard geteuid() == 0 else { throw ValidationError("bench freeze needs root (loop devices and FIFREEZE)") }
        if let workloadConf {
            guard let conf = WorkloadConf.load(path: workloadConf) else {
                throw ValidationError("--workload-conf \(workloadConf): no such file")
            }
            if let failure = conf.failure { throw ValidationError("--workload-conf: \(failure.message)") }
            guard conf.engine != nil else { throw ValidationError("--workload-conf \(workloadConf) names no workload") }
        }
    }

    /// The database each job quiesces, from --workload-conf.
    private var database: DatabaseWorkload? {
        guard let workloadConf, let conf = WorkloadConf.load(path: workloadConf), let engine = conf.engine else {
            return nil
        }
        let timeout = Duration.seconds(conf.timeoutSeconds)
        return .quiesce(
            GuardedQuiescer(
                workloadConfPath: workloadConf, engine: engine, guardExecutable: guardExecutable, timeout: timeout,
                lockWait: GuardedQuiescer.lockWait(forTimeout: timeout)))
    }

    func run() async throws {
        let filesystems = try ScratchFilesystem.create(count: disks, imageDirectory: imageDirectory)
        let lockDirectory = NSTemporaryDirectory() + "vmsnap-bench-lock-\(getpid())"
        defer {
            filesystems.forEach { $0.remove() }
            try? FileManager.default.removeItem(atPath: lockDirectory)
        }
        var emulatorConfiguration = EmulatorConfiguration(port: 0)
        if latencyMs > 0 {
            emulatorConfiguration.faults = [FaultRule(operation: .snapshot, action: .latency(ms: latencyMs))]
        }
        let emulator = BlobEmulator(configuration: emulatorConfiguration)
        _ = try await emulator.start()
        let samples: [FreezeBenchmark.Sample]
        do {
            let account = EmulatorConfiguration.developmentAccount
            emulator.createContainer(account: account, container: "vhds")
            let uris = try (0..<disks).map { index in
                emulator.createPageBlob(account: account, container: "vhds", blob: "disk\(index)", size: 1 << 20)
                return try SASBlobURI(emulator.sasURI(account: account, container: "vhds", blob: "disk\(index)"))
            }
            var benchmark = FreezeBenchmark(
                disks: uris, mounts: filesystems.map(\.mountPoint), guardExecutable: guardExecutable,
                lockPath: lockDirectory + "/SafeFreezeLockFile", expediteGracePeriods: expediteRcu)
            benchmark.database = database
            samples = await benchmark.run(runs: runs)
        } catch {
            try? await emulator.stop()
            throw error
        }
        try await emulator.stop()
        print(report(samples))
    }

    private func report(_ samples: [FreezeBenchmark.Sample]) -> String {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            return String(decoding: (try? encoder.encode(samples)) ?? Data(), as: UTF8.self)
        }
        let target = Double(latencyMs + 25)
        var lines = [
            "disks \(disks), emulator latency \(latencyMs) ms, \(runs) job(s), RCU grace periods "
                + "\(expediteRcu ? "expedited during FIFREEZE" : "normal"); target window <= \(Int(target)) ms"
        ]
        lines.append(
            "run  code  window ms  FIFREEZE ms  held ms  FITHAW ms  rcu_expedited"
                + (workloadConf == nil ? "" : "  database window ms"))
        for (index, sample) in samples.enumerated() {
            let database = sample.databaseWindowMilliseconds.map { String(format: "  %18.1f", $0) } ?? ""
            lines.append(
                String(
                    format: "%3d  %4d  %9.1f  %11.1f  %7.1f  %9.1f  %@", index + 1, sample.code,
                    sample.windowMilliseconds, sample.freezingMilliseconds, sample.heldMilliseconds,
                    sample.thawingMilliseconds, sample.gracePeriods?.rawValue ?? "not reported") + database)
        }
        let databaseWindows = samples.compactMap(\.databaseWindowMilliseconds).sorted()
        if !databaseWindows.isEmpty {
            lines.append(
                String(
                    format: "median database window %.1f ms (max %.1f)", databaseWindows[databaseWindows.count / 2],
                    databaseWindows.last ?? 0))
        }
        let windows = samples.map(\.windowMilliseconds).sorted()
        let held = samples.map(\.heldMilliseconds).sorted()
        let median = windows[windows.count / 2]
        lines.append(
            String(
                format: "median window %.1f ms (max %.1f), median held %.1f ms: target %@", median,
                windows.last ?? 0, held[held.count / 2], median <= target ? "met" : "missed"))
        if samples.contains(where: { $0.code > 1 }) { lines.append("some jobs failed: see the code column") }
        return lines.joined(separator: "\n")
    }
}
