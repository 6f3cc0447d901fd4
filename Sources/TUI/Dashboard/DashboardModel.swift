import Core
import Foundation

/// Everything the dashboard shows, assembled by the sources; views render it, they never fetch.
public struct DashboardModel: Sendable {
    /// The VM's host name.
    public var vmName: String
    /// The newest status blob document.
    public var blob: JobSnapshot?
    /// The newest status/N.status.
    public var file: JobSnapshot?
    /// The job triggered in-process, while and after it runs.
    public var live: JobSnapshot?
    /// When the live job's freeze window opened, while it is open.
    public var freezeOpenedAt: Date?
    /// The freeze timeout the freeze-window timer is judged against.
    public var freezeTimeout: TimeInterval
    /// Freshness of every source, in header order.
    public var sources: [SourceFreshness]
    /// The log file's name as the pane title shows it.
    public var logName: String
    /// The newest settings file, redacted.
    public var settings: String?
    /// The sequence number of the newest settings file, when there is one.
    public var newestSettingsSequence: Int?
    /// When the newest good snapshot in the local job history ended.
    public var journalLastSuccess: Date?
    /// The local job history (its path and records), for the `i` overlay's recent jobs.
    public var history: (path: String, contents: JobHistory.Contents)?
    /// The job plan on this machine as `vmsnap config show` prints it, for the settings overlay.
    public var jobPlanText: String?
    /// Whether triggering a snapshot is possible from here (a job source exists and not read-only).
    public var canTrigger: Bool
    /// Why triggering is impossible, when it is.
    public var triggerUnavailableReason: String?
    /// What a triggered snapshot will do, resolved when `t` is pressed; the confirmation lists it.
    public var triggerPlan: TriggerPlan?
    public private(set) var logLines: [LogLine] = []
    /// How many lines were dropped from the front of `logLines`; absolute line number = this + index.
    public private(set) var droppedLogLines = 0
    /// The most log lines kept in memory.
    public let logCapacity: Int
    /// The screen `q` returns to when the dashboard was opened from another (the fleet); nil: `q` quits.
    public var backTo: String?
    /// A message for the operator (an action's result) to show as a toast, with its severity.
    public var notice: (text: String, role: ColorRole, at: Date)?

    public init(
        vmName: String, freezeTimeout: TimeInterval, sources: [SourceFreshness], logName: String = "extension.log",
        canTrigger: Bool = false, triggerUnavailableReason: String? = nil, logCapacity: Int = 5000
    ) {
        self.vmName = vmName
        self.freezeTimeout = freezeTimeout
        self.sources = sources
        self.logName = logName
        self.canTrigger = canTrigger
        self.triggerUnavailableReason = triggerUnavailableReason
        self.logCapacity = max(1, logCapacity)
    }

    /// The job the dashboard is about: a running live job first, else the newest document (labelled with the
    /// sequence of its status file, and as an older job when newer settings exist).
    public var job: JobSnapshot? {
        if let live, !live.isTerminal { return live }
        let candidates = [live, blob, file].compactMap { $0 }
        guard var newest = candidates.max(by: { ($0.timestamp ?? .distantPast) < ($1.timestamp ?? .distantPast) })
        else { return nil }
        LocalSources.label(&newest, against: candidates, newestSettings: newestSettingsSequence)
        if newest.origin == .statusFile { JobLogFacts.fill(&newest, from: logLines) }
        return newest
    }

    /// When the newest good snapshot ended: the job history's, or the newest document's `lastSuccessUTC`.
    public var lastGoodSnapshot: Date? {
        [journalLastSuccess, blob?.lastSuccess, file?.lastSuccess, live?.lastSuccess].compactMap { $0 }.max()
    }

    /// The job's verdict at `now` (NO JOB without a document).
    public func judgement(now: Date) -> JobJudgement {
        job?.judge(now: now) ?? JobJudgement(verdict: .noJob)
    }

    /// Appends log lines, dropping the oldest beyond the capacity.
    public mutating func appendLog(_ lines: [LogLine]) {
        logLines.append(contentsOf: lines)
        let excess = logLines.count - logCapacity
        if excess > 0 {
            logLines.removeFirst(excess)
            droppedLogLines += excess
        }
    }

    /// Updates the freshness of the source with this name.
    public mutating func source(_ name: String, _ change: (inout SourceFreshness) -> Void) {
        if let i = sources.firstIndex(where: { $0.name == name }) { change(&sources[i]) }
    }
}

/// What a snapshot triggered from the dashboard will do (from the job plan), as its confirmation lists it.
public struct TriggerPlan: Sendable, Equatable {
    /// Whether filesystems are frozen at all.
    public var freezing: Bool
    /// The mount points frozen, in freeze order.
    public var mounts: [String]
    public var freezeTimeoutSeconds: Double
    /// The scripts that run, as one line.
    public var scripts: String
    /// Why no job can be made, when the plan could not be resolved.
    public var problem: String?

    public init(
        freezing: Bool, mounts: [String], freezeTimeoutSeconds: Double, scripts: String, problem: String? = nil
    ) {
        self.freezing = freezing
        self.mounts = mounts
        self.freezeTimeoutSeconds = freezeTimeoutSeconds
        self.scripts = scripts
        self.problem = problem
    }

    /// The confirmation's account of a job plan.
    public init(_ plan: JobPlan) {
        self.init(
            freezing: plan.freeze.value, mounts: plan.mountsToFreeze,
            freezeTimeoutSeconds: plan.freezeTimeoutSeconds.value,
            scripts: plan.scriptsSummary)
    }

    /// A plan that could not be made.
    public static func unavailable(_ problem: String) -> TriggerPlan {
        TriggerPlan(freezing: false, mounts: [], freezeTimeoutSeconds: 0, scripts: "", problem: problem)
    }

    /// The confirmation's sentence about freezing (the mounts follow it, one per line).
    var freezeSummary: String {
        let seconds = RenderContext.fixed(
            freezeTimeoutSeconds, digits: freezeTimeoutSeconds == freezeTimeoutSeconds.rounded() ? 0 : 1)
        if !freezing { return "Filesystems are not frozen (freezing is off)." }
        if mounts.isEmpty { return "Freezing is on, but no filesystem qualifies: nothing is frozen." }
        return "Freezes \(mounts.count) filesystem\(mounts.count == 1 ? "" : "s") for at most \(seconds) s:"
    }
}
