import Foundation

/// CPU time this process has used, less the in-process emulator's event-loop threads (`NIO-ELT-*`): what a bench
/// job itself costs. Process time from getrusage, the emulator threads' from /proc/self/task/*/schedstat (ns).
struct JobCPU {
    var process: Duration
    var emulator: Duration

    /// The counters now.
    static func now() -> JobCPU {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func duration(_ time: timeval) -> Duration { .seconds(Int(time.tv_sec)) + .microseconds(Int(time.tv_usec)) }
        return JobCPU(process: duration(usage.ru_utime) + duration(usage.ru_stime), emulator: emulatorThreads())
    }

    /// Milliseconds of CPU used since `earlier`, the emulator's threads excluded.
    func since(_ earlier: JobCPU) -> Double {
        let spent = (process - earlier.process) - (emulator - earlier.emulator)
        return Double(spent / .microseconds(1)) / 1000
    }

    /// Run time of the threads whose name starts with NIO-ELT (SwiftNIO's event loops: the emulator's here).
    private static func emulatorThreads() -> Duration {
        let tasks = "/proc/self/task"
        var total = Duration.zero
        for thread in (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? [] {
            let name = (try? String(contentsOfFile: "\(tasks)/\(thread)/comm", encoding: .utf8)) ?? ""
            guard name.hasPrefix("NIO-ELT") else { continue }
            let stat = (try? String(contentsOfFile: "\(tasks)/\(thread)/schedstat", encoding: .utf8)) ?? ""
            if let nanoseconds = stat.split(separator: " ").first.flatMap({ Int64($0) }) {
                total += .nanoseconds(nanoseconds)
            }
        }
        return total
    }
}
