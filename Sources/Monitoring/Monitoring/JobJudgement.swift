import Basics
import Engine
import Foundation

/// A verdict with what it rests on: the reasons an operator needs to believe it.
public struct JobJudgement: Sendable, Equatable {
    public var verdict: Verdict
    /// Why, in order of weight; empty for a plain success or a plain running job.
    public var reasons: [String]
    /// Seconds since the document was written, when it says when.
    public var documentAge: TimeInterval?

    public init(verdict: Verdict, reasons: [String] = [], documentAge: TimeInterval? = nil) {
        self.verdict = verdict
        self.reasons = reasons
        self.documentAge = documentAge
    }
}

extension JobSnapshot {
    /// Judges the job at `now`. The result code decides (4 is running, or stuck once older than a job may run);
    /// a status word that contradicts its code is named in the reasons but never wins; an unknown word is an error,
    /// as the agent reads it.
    public func judge(now: Date, stuckAfter: TimeInterval = Verdict.defaultStuckAfter) -> JobJudgement {
        let age = timestamp.map { max(0, now.timeIntervalSince($0)) }
        var reasons: [String] = []
        let terminal = code.map(\.isTerminal) ?? status.isTerminal
        guard terminal else {
            let stuck = isStuck(age: age, now: now, stuckAfter: stuckAfter, reasons: &reasons)
            if let code, status != .transitioning {
                reasons.append("status says \(status) but code \(code) means the job has not ended")
            }
            return JobJudgement(verdict: stuck ? .stuck : .running, reasons: reasons, documentAge: age)
        }
        let verdict = terminalVerdict(reasons: &reasons)
        return JobJudgement(verdict: verdict, reasons: reasons, documentAge: age)
    }

    private func isStuck(age: TimeInterval?, now: Date, stuckAfter: TimeInterval, reasons: inout [String]) -> Bool {
        if let deadline {
            guard now.timeIntervalSince(deadline) > Verdict.reportingGrace else { return false }
            reasons.append(
                "no terminal status although the job's deadline passed \(Self.span(now.timeIntervalSince(deadline))) ago"
            )
            return true
        }
        guard let age else {
            reasons.append("the document does not say when it was written: it cannot be judged stuck")
            return false
        }
        guard age > stuckAfter else { return false }
        reasons.append(
            "no terminal status: written \(Self.span(age)) ago, and a job runs at most \(Self.span(stuckAfter))")
        return true
    }

    private func terminalVerdict(reasons: inout [String]) -> Verdict {
        if case .unknown(let word) = status {
            reasons.append("unknown status word '\(word)': the guest agent reports it as an error")
            return .failed
        }
        let failedDisks = disks.filter { $0.progress.state == .failed }.count
        guard let code else {
            switch status {
            case .error: return .failed
            case .warning: return .warning
            default:
                if failedDisks > 0 {
                    reasons.append("\(failedDisks) of \(disks.count) disk(s) failed")
                    return .warning
                }
                return .succeeded
            }
        }
        let (verdict, reason) = Verdict.finished(
            code: code, health: healthStatusCode, failedDisks: failedDisks, disks: disks.count)
        if verdict == .failed, !code.isSuccess, status == .success || status == .warning {
            reasons.append("status says \(status) but code \(code) is a failure")
        } else if let reason, code.isSuccess {
            reasons.append(reason)
        }
        guard verdict == .succeeded else { return verdict }
        switch status {
        case .error:
            reasons.append("code \(code) is a success but status says error")
            return .warning
        case .warning: return .warning
        default: return .succeeded
        }
    }

    /// `45 s`, `12 min`, `3 h`, `2 d`.
    static func span(_ seconds: TimeInterval) -> String { SourceFreshness.age(seconds) }
}
