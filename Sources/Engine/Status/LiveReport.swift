import Synchronization

/// The report of a running job, changed in place and read only when something publishes it: a disk's progress
/// costs the same with 4,096 disks as with one (a copy of the report kept elsewhere made every change copy all
/// the disks).
final class LiveReport: Sendable {
    private let report: Mutex<JobReport>

    init(_ initial: JobReport) {
        report = Mutex(initial)
    }

    /// Changes the report under its lock and returns what `body` returns.
    func change<Result: Sendable>(_ body: (inout JobReport) -> Result) -> Result {
        report.withLock { body(&$0) }
    }

    /// The report as it is now.
    var current: JobReport { report.withLock { $0 } }
}
