import Basics
import Foundation
import Synchronization

/// Writes a job's guest-agent event files while it runs, not only at its end (storage-details.md §3): every
/// `interval` the lines logged since the last file that reach the level become one file, never while filesystems are
/// frozen (the log holds its lines then; the folder may be on a frozen filesystem), and `flush()` writes the rest when
/// the job has ended. The files are written on a thread of their own: the writes block and retry.
public final class GuestAgentEventFlusher: Sendable {
    /// How often pending events are written during a job.
    public static let interval: Duration = .seconds(10)

    public let events: GuestAgentEvents
    private let log: ExtensionLog
    /// The sequence number of the first log line not yet looked at.
    private let cursor = Mutex(0)

    public init(events: GuestAgentEvents, log: ExtensionLog) {
        self.events = events
        self.log = log
    }

    /// Flushes every `interval` until the task is cancelled; skips a turn while the log is held (frozen).
    public func run(every interval: Duration = GuestAgentEventFlusher.interval) async {
        while (try? await Task.sleep(for: interval)) != nil {
            if !log.isHeld { await flush() }
        }
    }

    /// Writes the events of the lines logged since the last flush as one file; returns its path, nil when none of
    /// those lines reaches the level, the folder is full, or writing failed after its attempts (logged; those lines'
    /// events are dropped, as the peer drops them).
    @discardableResult
    public func flush() async -> String? {
        let (lines, next) = log.jobLines(from: cursor.withLock { $0 })
        cursor.withLock { $0 = next }
        guard !lines.isEmpty else { return nil }
        let events = self.events
        let outcome = await withCheckedContinuation { (done: CheckedContinuation<Result<String?, any Error>, Never>) in
            DispatchQueue.global().async { done.resume(returning: Result { try events.write(logLines: lines) }) }
        }
        switch outcome {
        case .success(let path): return path
        case .failure(let error):
            log.write("WARNING: guest-agent event file not written in \(events.folder): \(error)")
            return nil
        }
    }
}
