import Basics
import Engine
import Foundation

/// Folds the engine's `JobEvent`s into a `JobSnapshot` as they arrive, for a job run in-process.
public struct LiveJobTracker: Sendable {
    public private(set) var snapshot: JobSnapshot
    /// The freeze timeout the freeze-window timer is judged against.
    public let freezeTimeout: TimeInterval
    private var freezeStartedAt: Date?

    public init(taskID: String?, disks: [DiskProgress], freezeTimeout: TimeInterval, startedAt: Date) {
        self.freezeTimeout = freezeTimeout
        snapshot = JobSnapshot(
            origin: .liveJob, extensionName: ExtensionIdentity.name, extensionVersion: ExtensionIdentity.version,
            operation: "Enable", taskID: taskID, status: .transitioning, code: .transitioning, message: "job accepted",
            timestamp: startedAt,
            phases: PhaseRecord.timelineStages.map { PhaseRecord(stage: $0, state: .pending) },
            disks: disks.map { MonitoredDisk(progress: $0) })
    }

    /// Applies one event.
    public mutating func apply(_ event: JobEvent) {
        switch event {
        case .stage(let record):
            let at = record.endedAt ?? record.startedAt ?? snapshot.timestamp ?? Date()
            snapshot.timestamp = at
            if record.stage == .freeze, record.state == .running { freezeStartedAt = at }
            update(record.stage) { $0 = PhaseRecord(record, jobEnded: false) }
            if record.state == .running, PhaseRecord.timelineStages.contains(record.stage) {
                snapshot.message = "\(record.stage.rawValue) running"
            }
            if record.stage == .thaw, record.state != .running, let freezeStartedAt {
                snapshot.freezeWindowSeconds = at.timeIntervalSince(freezeStartedAt)
            }
        case .disk(let progress, _):
            if let i = snapshot.disks.firstIndex(where: { $0.progress.index == progress.index }) {
                snapshot.disks[i].progress = progress
            } else {
                snapshot.disks.append(MonitoredDisk(progress: progress))
            }
        case .log:
            break
        case .finished(let result):
            snapshot.status = result.status
            snapshot.code = result.code
            snapshot.healthStatusCode = result.healthStatusCode
            snapshot.message = Redactor.redact(result.message)
            if let window = result.freezeWindowMilliseconds { snapshot.freezeWindowSeconds = window / 1000 }
            for disk in result.disks { apply(.disk(disk, at: Date())) }
            for i in snapshot.phases.indices where snapshot.phases[i].state == .pending {
                snapshot.phases[i].state = .skipped
                snapshot.phases[i].detail = "not reached"
            }
            if result.statusDelivery == .failed {
                snapshot.notes.append("the terminal status did not reach the status blob")
            }
        }
    }

    /// When the freeze window opened, while it is open.
    public var freezeOpenedAt: Date? {
        guard snapshot.freezeWindowSeconds == nil, !snapshot.isTerminal else { return nil }
        return freezeStartedAt
    }

    /// Seconds the filesystems have been frozen so far, while the freeze window is open.
    public func openFreezeWindow(now: Date) -> TimeInterval? {
        freezeOpenedAt.map { max(0, now.timeIntervalSince($0)) }
    }

    private mutating func update(_ stage: JobStage, _ change: (inout PhaseRecord) -> Void) {
        guard let i = snapshot.phases.firstIndex(where: { $0.stage == stage }) else { return }
        change(&snapshot.phases[i])
    }
}
