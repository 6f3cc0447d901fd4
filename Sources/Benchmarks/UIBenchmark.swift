import Core
import Emulator
import Foundation
import TUI

#if canImport(Glibc)
    import Glibc
#endif

/// `vmsnap bench ui`: the dashboard's performance figures, measured headless (render into the grid + diff,
/// exactly what the curses backend is handed), with getrusage for CPU and /proc for memory.
public enum UIBenchmark {
    /// One measured figure against its target.
    public struct Figure: Sendable {
        public var name: String
        public var value: Double
        public var unit: String
        public var target: Double
        public var detail: String

        public init(name: String, value: Double, unit: String, target: Double, detail: String) {
            self.name = name
            self.value = value
            self.unit = unit
            self.target = target
            self.detail = detail
        }

        public var passed: Bool { value < target }
    }

    /// Time from process start (from /proc/self/stat) to the first frame: sources resolved, newest status file
    /// read, the log tailed, the frame rendered and diffed.
    public static func firstFrame(locations: MonitorSourceLocations) -> Figure {
        let local = LocalSources(locations: locations)
        var model = DashboardModel(vmName: "bench", freezeTimeout: 60, sources: locations.freshness())
        if case .success(let snapshot) = local.changedStatusFile() { model.file = snapshot }
        model.appendLog(local.tailer?.poll() ?? [])
        let screen = HeadlessScreen(width: 120, height: 40)
        var grid = CellGrid(width: 120, height: 40)
        let state = DashboardState()
        DashboardView.render(model, state: state, into: &grid, context: RenderContext(now: Date()))
        screen.draw(grid)
        let elapsed = (secondsSinceProcessStart() ?? .nan) * 1000
        return Figure(
            name: "first frame after launch", value: elapsed, unit: "ms", target: 100,
            detail: "process start to first rendered frame (status file, \(model.logLines.count) log lines, 120x40); "
                + "resolution: one clock tick")
    }

    /// Median time of a full frame at 200x60 with `disks` disks and a `logLines`-line log, grid render plus diff.
    public static func fullFrame(disks: Int = 64, logLines: Int = 1000, iterations: Int = 400) -> Figure {
        var model = DashboardModel(
            vmName: "bench-vm", freezeTimeout: 60,
            sources: [SourceFreshness(name: MonitorSourceLocations.statusBlobName, staleAfter: 5)], canTrigger: true,
            logCapacity: logLines)
        let start = Date()
        let progress = (0..<disks).map { index in
            DiskProgress(
                index: index, blobURI: "https://acct\(index % 4).blob.core.windows.net/vhds/disk\(index).vhd",
                account: "acct\(index % 4)", container: "vhds", blob: "disk-\(index)-データ.vhd")
        }
        var tracker = LiveJobTracker(taskID: "bench-task", disks: progress, freezeTimeout: 60, startedAt: start)
        tracker.apply(.stage(StageRecord(stage: .snapshot, startedAt: start)))
        model.appendLog(
            (0..<logLines).map { i in
                LogLine.parse(
                    "2026-11-25 03:07:\(String(format: "%02d", i % 60)).000000 [Ext-1.0]disk \(i % disks) "
                        + "snapshot attempt \(i % 3 + 1) answered \(i % 7 == 0 ? "503 ServerBusy" : "201 Created")")
            })
        var state = DashboardState()
        state.search.text = "ServerBusy"
        var previous: CellGrid?
        var samples: [Double] = []
        var changedCells = 0
        for i in 0..<iterations {
            var disk = progress[i % disks]
            disk.state = i % 2 == 0 ? .inFlight : .succeeded
            disk.attempts = i % 3 + 1
            disk.latencyMilliseconds = Double(i % 90) + 0.5
            tracker.apply(.disk(disk, at: start))
            model.live = tracker.snapshot
            let began = DispatchTime.now().uptimeNanoseconds
            var grid = CellGrid(width: 200, height: 60)
            let context = RenderContext(now: start.addingTimeInterval(Double(i) * 0.1))
            DashboardView.render(model, state: state, into: &grid, context: context)
            let changed = grid.changedCells(since: previous)
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - began) / 1e6)
            previous = grid
            changedCells += changed.count
        }
        samples.sort()
        let median = samples[samples.count / 2]
        let p99 = samples[min(samples.count - 1, samples.count * 99 / 100)]
        return Figure(
            name: "full frame, \(disks) disks + \(logLines)-line log", value: median, unit: "ms", target: 2,
            detail: String(
                format: "median of %d frames at 200x60 (render + diff, %d cells changed per frame); p99 %.3f ms",
                iterations, changedCells / iterations, p99))
    }

    /// CPU used while the dashboard idles for `seconds`: the real UI loop (headless screen) and the real source
    /// pollers (status blob via `fetcher`, status file, extension.log) at a 1 s interval.
    public static func idleCPU(
        locations: MonitorSourceLocations, fetcher: (any StatusBlobFetching)?, seconds: Double
    ) async -> Figure {
        let feed = DashboardFeed(
            DashboardModel(vmName: "bench", freezeTimeout: 60, sources: locations.freshness()))
        let polling = Task { await DashboardSources.run(locations: locations, fetcher: fetcher, feed: feed) }
        let screen = HeadlessScreen(width: 120, height: 40)
        let runner = DashboardRunner(
            feed: feed, environment: [:], explain: CodeExplanation.lookup, prepareTrigger: {}, onTrigger: {})
        let before = cpuSeconds()
        let began = Date()
        let ui = Thread { runner.runLoop(on: screen) }
        ui.start()
        try? await Task.sleep(for: .seconds(seconds))
        feed.requestQuit()
        polling.cancel()
        let wall = Date().timeIntervalSince(began)
        let used = cpuSeconds() - before
        while ui.isExecuting { try? await Task.sleep(for: .milliseconds(10)) }
        return Figure(
            name: "idle CPU at a 1 s poll", value: used / wall * 100, unit: "% of a core", target: 0.5,
            detail: String(
                format: "%.0f s, %.3f s CPU (getrusage), %d frames, %d cells changed", wall, used, screen.frames,
                screen.changedCells))
    }

    /// Peak resident memory of this process so far (VmHWM).
    public static func residentMemory() -> Figure {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") ?? .nan
        return Figure(
            name: "resident memory (peak)", value: kilobytes / 1024, unit: "MB", target: 30,
            detail: "VmHWM of a fresh process after its first frame and the full-frame benchmark")
    }

    /// Time to open a 1 GiB extension.log (sparse, with real lines at its end) and show its tail; deleted after.
    public static func openHugeLog(directory: String = NSTemporaryDirectory()) throws -> Figure {
        let path = (directory as NSString).appendingPathComponent("vmsnap-bench-\(getpid())-extension.log")
        defer { unlink(path) }
        let size: Int64 = 1 << 30
        let fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0o600)
        guard fd >= 0 else { throw BenchmarkError(message: "cannot create \(path)") }
        var tail = ""
        for i in 0..<2000 {
            tail += "2026-11-25 03:07:00.\(String(format: "%06d", i)) [Ext-1.0]line \(i) of the tail\n"
        }
        let bytes = Array(tail.utf8)
        ftruncate(fd, off_t(size - Int64(bytes.count)))
        lseek(fd, 0, SEEK_END)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let began = DispatchTime.now().uptimeNanoseconds
        let lines = LogTailer(path: path).poll() ?? []
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e6
        return Figure(
            name: "open a 1 GiB extension.log", value: elapsed, unit: "ms", target: 50,
            detail: "sparse file in \(directory), \(lines.count) tail lines read")
    }

    private static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// Seconds since this process started, from /proc/self/stat (field 22, clock ticks since boot).
    private static func secondsSinceProcessStart() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")"),
            let uptime = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
            let now = Double(uptime.split(separator: " ").first ?? "")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]) else { return nil }
        return now - ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// A benchmark could not set itself up.
public struct BenchmarkError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
