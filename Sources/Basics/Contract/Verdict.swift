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
}
