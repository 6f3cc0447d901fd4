import Foundation

/// The one vocabulary for where a job stands, used alike by the dashboard, `status --once` (text, JSON and exit
/// status) and every other output: judged from the result code and the document's age, never from the status word.
public enum Verdict: String, Sendable, Codable, CaseIterable {
    case succeeded, failed, warning, running, stuck
    /// No status document was found.
    case noJob = "no job"

    /// How the verdict is shown: `SUCCEEDED`, `NO JOB`.
    public var label: String { rawValue.uppercased() }

    /// The exit status `vmsnap status --once` returns for it.
    public var exitStatus: Int32 {
        switch self {
        case .succeeded: 0
        case .failed: 1
        case .warning: 2
        case .stuck: 3
        case .running: 4
        case .noJob: 5
        }
    }

    /// A non-terminal document older than this (and past any deadline it names) is stuck: the guest agent kills
    /// enable after 300 s, and vmsnap's own job budget plus reporting ends before that.
    public static let defaultStuckAfter: TimeInterval = 300
    /// Grace after a document's own stated deadline before a job still at code 4 counts as stuck (reporting).
    public static let reportingGrace: TimeInterval = 60

    /// The one rule for a finished job's codes, used by the engine's result and by every reader of a status
    /// document: a failure code fails; a success code stays a success only when the health code agrees and every
    /// disk succeeded. A health code that names a failed freeze (the crash-consistent snapshot taken after it) or a
    /// database that was not quiesced (500-512) leaves good snapshots: a warning. `reason` says why the verdict is
    /// not `.succeeded` (nil when it is).
    public static func finished(code: ResultCode, health: ResultCode?, failedDisks: Int, disks: Int)
        -> (verdict: Verdict, reason: String?)
    {
        guard code.isSuccess else { return (.failed, "code \(code) is a failure") }
        if let health, health.isTerminal, !health.isSuccess {
            let named = "vmHealthStatusCode \(health)\(health.name.map { " \($0)" } ?? "")"
            switch health.failingStage {
            case .freeze:
                return (.warning, "code \(code) but the filesystems were not frozen (crash-consistent): \(named)")
            case .database:
                return (.warning, "code \(code) but the database was not quiesced: \(named)")
            default:
                return (.failed, "code \(code) but \(named) is a failure")
            }
        }
        if failedDisks > 0 { return (.warning, "code \(code) but \(failedDisks) of \(disks) disk(s) failed") }
        return (.succeeded, nil)
    }
}
