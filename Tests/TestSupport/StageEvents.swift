import Core
import Foundation

extension JobEvent {
    /// Whether this is the event of `stage` reaching `state`.
    public func isStage(_ stage: JobStage, _ state: StageRecord.State) -> Bool {
        guard case .stage(let record) = self else { return false }
        return record.stage == stage && record.state == state
    }

    /// A stage that started at `at` (as the engine emits it).
    public static func started(_ stage: JobStage, at: Date) -> JobEvent {
        .stage(StageRecord(stage: stage, startedAt: at))
    }

    /// A stage that ran from `started` to `ended` and ended in `state`.
    public static func ended(
        _ stage: JobStage, started: Date, ended: Date, _ state: StageRecord.State = .succeeded, detail: String = ""
    ) -> JobEvent {
        var record = StageRecord(stage: stage, startedAt: started)
        record.end(state, at: ended, detail: detail)
        return .stage(record)
    }
}
