import Basics
import Engine
import Foundation

/// One VM's line in the fleet view: its verdict and what an operator needs to pick the VMs to look at first.
public struct FleetRow: Sendable, Equatable {
    public var name: String
    /// The status blob's URI without its query.
    public var statusBlob: String
    public var verdict: Verdict
    public var code: ResultCode?
    /// Seconds since the document was written (at the cycle that judged it).
    public var documentAge: TimeInterval?
    /// When the document was written, so a screen can age it between cycles.
    public var writtenAt: Date?
    public var failedDisks: Int
    public var totalDisks: Int
    /// Why: the failure's cause, the verdict's first reason, or the job's message.
    public var cause: String
    public var lastSuccess: Date?
    /// Why the status blob could not be read (a missing blob, 404, is no error: no job yet).
    public var error: String?
    /// When the status blob last answered and whether its polls are failing now: a row built from an earlier
    /// document while the blob cannot be read says so here (`read.failingSince`), never passes for current.
    public var read = SourceFreshness(name: MonitorSourceLocations.statusBlobName, staleAfter: .infinity)

    /// The row of a VM whose status blob was read.
    public init(name: String, statusBlob: String, job: JobSnapshot, now: Date) {
        self.name = name
        self.statusBlob = statusBlob
        let judgement = job.judge(now: now)
        verdict = judgement.verdict
        code = job.code
        documentAge = judgement.documentAge
        writtenAt = job.timestamp
        failedDisks = job.disks.filter { $0.progress.state == .failed }.count
        totalDisks = job.disks.count
        if verdict != .succeeded, let cause = job.cause {
            self.cause = cause.headline
        } else {
            self.cause = judgement.reasons.first ?? job.message
        }
        self.cause = TerminalText.sanitize(Redactor.redact(self.cause))
        lastSuccess = LastGoodSnapshot.newest(job: job, journal: nil)
    }

    /// The row of a VM without a document: none yet (`error` nil) or the status blob could not be read.
    public init(name: String, statusBlob: String, error: String?) {
        self.name = name
        self.statusBlob = statusBlob
        verdict = .noJob
        failedDisks = 0
        totalDisks = 0
        cause = error.map { "status blob unreadable: \($0)" } ?? "no job yet: no status blob"
        self.error = error
    }

    /// Worst first: STUCK, FAILED, WARNING, RUNNING, SUCCEEDED, then NO JOB (unreadable before none yet).
    public var rank: Int {
        switch verdict {
        case .stuck: 0
        case .failed: 1
        case .warning: 2
        case .running: 3
        case .succeeded: 4
        case .noJob: error == nil ? 6 : 5
        }
    }

    /// Whether the row's data cannot be trusted as current: its blob was never read, its polls are failing, or
    /// it was last read longer ago than `read.staleAfter`.
    public func isStale(now: Date) -> Bool { read.isStale(now: now) }

    /// Sorts worst first, then by name.
    public static func worstFirst(_ rows: [FleetRow]) -> [FleetRow] {
        rows.sorted { ($0.rank, $0.name) < ($1.rank, $1.name) }
    }
}
