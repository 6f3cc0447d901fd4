import Basics
import Engine
import Foundation

/// The newest good snapshot known: the document's `lastSuccessUTC`, a document that is itself a success, or the
/// local job history.
public enum LastGoodSnapshot {
    public static func newest(job: JobSnapshot?, journal: Date?) -> Date? {
        var candidates = [journal, job?.lastSuccess].compactMap { $0 }
        if let job, job.isTerminal, let timestamp = job.timestamp,
            job.judge(now: timestamp).verdict == .succeeded, !job.disks.isEmpty
        {
            candidates.append(timestamp)
        }
        return candidates.max()
    }
}
