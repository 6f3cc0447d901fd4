import Basics
import Foundation

/// What a snapshot job may use and how long it may take.
public struct SnapshotJobOptions: Sendable {
    /// The snapshot phase's share of the job's budget (pre-connect, freeze, snapshots, thaw); the scripts' timeouts
    /// come on top (see `JobBudget`).
    public var deadline: Duration
    /// Extra time after the work for the terminal status and log uploads.
    public var reportingTime: Duration
    /// Longest time filesystems may stay frozen; snapshot retries inside the freeze end before it.
    public var freezeTimeout: Duration
    /// Jobs whose commandStartTimeUTCTicks is older than this fail with 402.
    public var maximumCommandAge: Duration
    /// Where `<N>.status` goes; nil writes no status file.
    public var statusDirectory: String?
    /// Where `extension.log` goes; nil keeps the log in memory (still uploaded to logsBlobUri).
    public var logDirectory: String?
    /// Where the last handled taskId and sequence number are remembered; nil disables the repeat check.
    public var stateDirectory: String?
    /// Freezes filesystems around the snapshot; nil snapshots without freezing.
    public var freezer: (any FilesystemFreezer)?
    /// Runs pre/post scripts; nil runs none.
    public var scripts: (any ScriptRunner)?
    public var retry: RetryPolicy
    /// At most this many snapshot requests at once (vmbackup.conf seqsnapshot 1 or 2: one); nil: every disk at once.
    public var snapshotConcurrency: Int?
    /// Whether the status blob and the log blob are uploaded (vmbackup.conf UploadStatusAndLog); the status file
    /// is written either way.
    public var uploadsStatusAndLog = true
    /// The database workload.conf names, quiesced around the freeze; nil: none.
    public var database: DatabaseWorkload?
    /// The VM's identity (`VMIdentity.current`): a ledger recorded on another VM is forgotten; nil skips the check.
    public var machineIdentity: String?
    /// Where `vmsnap.prom` is written when the job starts and ends; nil writes no metrics.
    public var metricsDirectory: String?
    /// How the history record and the metrics learn the machine's identity; nil: the host name only.
    public var identityLookup: MachineIdentityLookup?
    /// Whether and where the host (WireServer) snapshot path may be used.
    public var hostPath = HostPathOptions.unavailable

    public init(
        deadline: Duration = .seconds(240), reportingTime: Duration = .seconds(30),
        freezeTimeout: Duration = .seconds(60), maximumCommandAge: Duration = .seconds(140 * 60),
        statusDirectory: String? = nil, logDirectory: String? = nil, stateDirectory: String? = nil,
        freezer: (any FilesystemFreezer)? = nil, scripts: (any ScriptRunner)? = nil, retry: RetryPolicy = RetryPolicy()
    ) {
        self.deadline = deadline
        self.reportingTime = reportingTime
        self.freezeTimeout = freezeTimeout
        self.maximumCommandAge = maximumCommandAge
        self.statusDirectory = statusDirectory
        self.logDirectory = logDirectory
        self.stateDirectory = stateDirectory
        self.freezer = freezer
        self.scripts = scripts
        self.retry = retry
    }

    /// Time kept free at the end of a freeze: retries inside it stop this much before the freeze timeout.
    var freezeMargin: Duration { min(.seconds(2), freezeTimeout * 0.1) }
}

/// The database a job quiesces around the freeze (workload.conf), or why it cannot.
public enum DatabaseWorkload: Sendable, Equatable {
    case quiesce(GuardedQuiescer)
    /// workload.conf is unusable: the database stage fails with this 5xx and the job snapshots without it.
    case refused(JobFailure)
}
