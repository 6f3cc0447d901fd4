import Core
import Foundation

/// Runs a snapshot job the operator triggered, in-process, and mirrors its events into the dashboard live.
public final class LiveJobDriver: @unchecked Sendable {
    private let feed: DashboardFeed
    private let freezeTimeout: TimeInterval
    private let makeJob: @Sendable () async throws -> SnapshotJob
    private let lock = NSLock()
    private var running = false
    private var job: SnapshotJob?
    private var runner: Task<Void, Never>?

    /// `makeJob` prepares the job (loads settings, builds options); its error is shown as a toast.
    public init(
        feed: DashboardFeed, freezeTimeout: TimeInterval, makeJob: @escaping @Sendable () async throws -> SnapshotJob
    ) {
        self.feed = feed
        self.freezeTimeout = freezeTimeout
        self.makeJob = makeJob
    }

    /// Starts a job unless one is running; returns at once.
    public func trigger() {
        let alreadyRunning = lock.withLock {
            defer { running = true }
            return running
        }
        if alreadyRunning {
            feed.update { $0.notice = ("a snapshot job is already running", .warning, Date()) }
            return
        }
        let task = Task {
            await self.runJob()
            self.lock.withLock {
                self.running = false
                self.job = nil
            }
        }
        lock.withLock { runner = task }
    }

    /// Cancels the running job, if any (it thaws and writes its terminal status), and waits for it to end.
    public func finish(reason: String) async {
        let (job, task) = lock.withLock { (self.job, runner) }
        job?.cancel(reason: reason)
        await task?.value
    }

    private func runJob() async {
        let job: SnapshotJob
        do {
            job = try await makeJob()
        } catch {
            feed.update { $0.notice = (Redactor.redact("snapshot not started: \(error)"), .critical, Date()) }
            return
        }
        lock.withLock { self.job = job }
        let disks = job.settings.disks.enumerated().map { index, uri in
            DiskProgress(
                index: index, blobURI: uri.blobURI, account: uri.account, container: uri.container,
                blob: uri.blob.removingPercentEncoding ?? uri.blob)
        }
        var tracker = LiveJobTracker(
            taskID: job.settings.taskID, disks: disks, freezeTimeout: freezeTimeout, startedAt: Date())
        let snapshot = tracker.snapshot
        feed.update { model in
            model.live = snapshot
            model.live?.sequenceNumber = job.settings.sequenceNumber
            model.notice = ("snapshot triggered: task \(job.settings.taskID)", .accent, Date())
        }
        let work = Task { await job.run() }
        for await event in job.events {
            if case .log = event { continue }  // extension.log is tailed like any other line
            tracker.apply(event)
            let (current, opened) = (tracker.snapshot, tracker.freezeOpenedAt)
            // The job's end and its toast change in one update: no frame shows a finished job under
            // "snapshot triggered".
            let finished: JobResult? = if case .finished(let result) = event { result } else { nil }
            feed.update { model in
                let sequence = model.live?.sequenceNumber
                model.live = current
                model.live?.sequenceNumber = sequence
                model.freezeOpenedAt = opened
                if let finished { Self.announce(finished, in: &model) }
            }
        }
        _ = await work.value
    }

    private static func announce(_ result: JobResult, in model: inout DashboardModel) {
        model.freezeOpenedAt = nil
        let verdict = result.verdict
        let reason = verdict == .succeeded ? "" : ": \(Redactor.redact(result.message))"
        let role: ColorRole = verdict == .succeeded ? .ok : verdict == .warning ? .warning : .critical
        model.notice = ("snapshot finished: \(verdict.label), code \(result.code)\(reason)", role, Date())
    }
}
