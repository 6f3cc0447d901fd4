import ArgumentParser
import Benchmarks
import Core
import Emulator
import Foundation
import TUI

/// `vmsnap bench ui`: the dashboard's performance targets (first frame, full frame, idle CPU, memory, huge log).
struct BenchUICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui", abstract: "Measure the dashboard: first frame, full frame, idle CPU, memory, 1 GiB log.")

    @Option(name: .customLong("idle-seconds"), help: "How long to measure idle CPU (the README figure uses 60).")
    var idleSeconds: Double = 10

    /// Set on the child process that measures its own first frame.
    @Option(name: .customLong("first-frame-plugin-dir"), help: .hidden)
    var firstFramePluginDirectory: String?

    func validate() throws {
        guard idleSeconds >= 1 else { throw ValidationError("--idle-seconds: expected at least 1") }
    }

    func run() async throws {
        if let firstFramePluginDirectory {
            // The child: a fresh process, as `vmsnap monitor` would start, with nothing else in memory.
            let plugin = PluginDirectory(path: firstFramePluginDirectory)
            let locations = MonitorSourceLocations.resolve(
                statusBlob: nil, pluginDirectory: plugin.path, logDirectory: plugin.logDirectory, interval: 1,
                configuration: nil)
            for figure in [
                UIBenchmark.firstFrame(locations: locations), UIBenchmark.fullFrame(), UIBenchmark.residentMemory(),
            ] {
                let fields = [figure.name, String(figure.value), figure.unit, String(figure.target), figure.detail]
                print(fields.joined(separator: "\t"))
            }
            return
        }
        let sample = try await DemoVM.start(disks: 8)
        defer { sample.remove() }
        let job = SnapshotJob(
            settings: try sample.nextJobSettings(),
            options: SnapshotJobOptions(
                statusDirectory: sample.pluginDirectory + "/status", logDirectory: sample.logDirectory))
        _ = await job.run()
        let locations = MonitorSourceLocations(
            statusBlobURI: sample.statusBlobReadURI, pluginDirectory: sample.pluginDirectory,
            logFile: (sample.logDirectory as NSString).appendingPathComponent(ExtensionLog.fileName), interval: 1)
        var figures = try figuresFromChild(pluginDirectory: sample.pluginDirectory)
        let fetcher = BlobStatusFetcher(uri: try SASBlobURI(sample.statusBlobReadURI))
        figures.append(await UIBenchmark.idleCPU(locations: locations, fetcher: fetcher, seconds: idleSeconds))
        figures.append(try UIBenchmark.openHugeLog())
        try? await sample.emulator.stop()
        for figure in figures {
            let verdict = figure.passed ? "ok" : "OVER TARGET"
            let value = String(format: "%.3f", figure.value)
            print("\(figure.name): \(value) \(figure.unit) (target < \(figure.target)) \(verdict)")
            print("    \(figure.detail)")
        }
        if figures.contains(where: { !$0.passed }) { throw ExitCode(1) }
    }

    /// Launches `vmsnap bench ui` again: the new process times its own start to its first frame, then renders
    /// the full-frame benchmark and reports its peak memory (no emulator or job in it, like `vmsnap monitor`).
    private func figuresFromChild(pluginDirectory: String) throws -> [UIBenchmark.Figure] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = ["bench", "ui", "--first-frame-plugin-dir", pluginDirectory]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let figures = text.split(separator: "\n").compactMap { line -> UIBenchmark.Figure? in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 5, let value = Double(fields[1]), let target = Double(fields[3]) else { return nil }
            return UIBenchmark.Figure(name: fields[0], value: value, unit: fields[2], target: target, detail: fields[4])
        }
        guard figures.count == 3 else { throw ValidationError("the measuring child printed '\(text)'") }
        return figures
    }
}
