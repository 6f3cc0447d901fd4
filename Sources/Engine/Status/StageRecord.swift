import Basics
import Foundation

/// One stage of a job as the status blob's `progress.stages` reports it: when it started and ended, how it ended,
/// and why (a stage that does not apply, such as the freeze with freezing off, is `skipped` with the reason).
public struct StageRecord: Sendable, Codable, Equatable {
    /// How far a stage got.
    public enum State: String, Sendable, Codable {
        case running, succeeded, failed, skipped
    }

    public var stage: JobStage
    public var state: State
    /// ISO 8601 UTC with milliseconds.
    public var startedUTC: String
    /// ISO 8601 UTC with milliseconds; absent while the stage runs.
    public var endedUTC: String?
    /// What the stage found or why it was skipped (redacted); empty while it runs.
    public var detail: String

    /// A stage that has just started.
    public init(stage: JobStage, startedAt: Date) {
        self.stage = stage
        state = .running
        startedUTC = Self.timestamp(startedAt)
        detail = ""
    }

    /// A stage that does not apply to this job.
    public init(skipped stage: JobStage, at date: Date, reason: String) {
        self.stage = stage
        state = .skipped
        startedUTC = Self.timestamp(date)
        endedUTC = startedUTC
        detail = Redactor.redact(reason)
    }

    /// Ends the stage.
    public mutating func end(_ state: State, at date: Date, detail: String) {
        self.state = state
        endedUTC = Self.timestamp(date)
        self.detail = Redactor.redact(detail)
    }

    /// When the stage started.
    public var startedAt: Date? { ISO8601Timestamp.parse(startedUTC) }
    /// When the stage ended; nil while it runs.
    public var endedAt: Date? { endedUTC.flatMap(ISO8601Timestamp.parse) }

    /// `2026-11-25T21:04:05.123Z`.
    static func timestamp(_ date: Date) -> String { ISO8601Timestamp.format(date) }
}
