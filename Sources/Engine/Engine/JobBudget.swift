import Basics
import Foundation

/// How long each part of a job may take. The job's deadline is the sum of the parts from its start: the
/// pre-script's timeout, the snapshot phase (pre-connect, freeze, snapshots, thaw), the post-script's timeout,
/// then the time to report the terminal status.
public struct JobBudget: Sendable, Equatable {
    public var preScript: Duration
    public var snapshot: Duration
    public var postScript: Duration
    public var reporting: Duration

    public init(preScript: Duration, snapshot: Duration, postScript: Duration, reporting: Duration) {
        self.preScript = preScript
        self.snapshot = snapshot
        self.postScript = postScript
        self.reporting = reporting
    }

    /// The budget of a job with these options: the scripts' configured timeouts (zero without scripts).
    public init(_ options: SnapshotJobOptions) {
        self.init(
            preScript: options.scripts?.timeLimit(.pre) ?? .zero, snapshot: options.deadline,
            postScript: options.scripts?.timeLimit(.post) ?? .zero, reporting: options.reportingTime)
    }

    /// Scripts and the snapshot phase: when this has passed, the job is cancelled.
    public var work: Duration { preScript + snapshot + postScript }
    /// Everything, reporting included: the longest a job takes when every part uses its full share.
    public var total: Duration { work + reporting }

    /// The budget as the status blob's progress shows it, for a job that started at `start`.
    public func progress(startedAt start: Date) -> StatusBlobDocument.Budget {
        StatusBlobDocument.Budget(
            preScriptSeconds: Self.seconds(preScript), snapshotSeconds: Self.seconds(snapshot),
            postScriptSeconds: Self.seconds(postScript), reportingSeconds: Self.seconds(reporting),
            workDeadlineUTC: start.addingTimeInterval(Self.interval(work)).formatted(.iso8601),
            deadlineUTC: start.addingTimeInterval(Self.interval(total)).formatted(.iso8601))
    }

    private static func seconds(_ duration: Duration) -> Int { Int(duration.components.seconds) }

    private static func interval(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
