import Basics
import Engine
import Foundation

/// What vmsnap's own log lines say about a job that its status file leaves out: the status file carries no
/// per-disk attempts, request ids or HTTP statuses and no stage records, so without the status blob these come
/// from the job's lines in extension.log (vmsnap's wording), or stay unknown; never a default shown as a fact.
public enum JobLogFacts {
    /// Lines this long before the document (a job's whole budget and then some) can belong to its job.
    static let lookBack: TimeInterval = 3600

    /// Fills unknown attempts, HTTP statuses, storage error codes and request ids per disk, and unknown stage
    /// states, from the lines written for this job (between its start and its document).
    public static func fill(_ job: inout JobSnapshot, from lines: [LogLine]) {
        guard let written = job.timestamp else { return }
        let start =
            job.commandStartTime.map { max($0, written.addingTimeInterval(-lookBack)) }
            ?? written.addingTimeInterval(-lookBack)
        let ours = "\(ExtensionIdentity.name)-\(ExtensionIdentity.version)"
        let own = lines.filter { line in
            // Only vmsnap's lines speak its wording; the peer's extension logs under its own version.
            guard let stamp = line.timestamp, line.source == ours else { return false }
            return stamp >= start.addingTimeInterval(-1) && stamp <= written.addingTimeInterval(5)
        }
        // The newest job in the window is the one that wrote the document: read from its validate line on.
        let from = own.lastIndex { $0.message.hasPrefix("validate: ") } ?? own.startIndex
        for line in own[from...] {
            if let fact = DiskFact(line.message) { apply(fact, to: &job) }
            if let (stage, state, detail) = stageFact(line) { apply(stage, state, detail, to: &job) }
        }
    }

    /// One disk line: `disk N URI: attempt K answered HTTP S CODE request id R ...`,
    /// `disk N URI: snapshot T after K attempt(s), request id R, ...`, `disk N URI: attempt K got no answer: ...`.
    struct DiskFact: Equatable {
        var index: Int
        var attempts: Int
        var httpStatus: Int?
        var errorCode: String?
        var requestID: String?

        init?(_ message: String) {
            guard message.hasPrefix("disk ") else { return nil }
            let words = message.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard words.count > 4, let index = Int(words[1]) else { return nil }
            self.index = index
            func after(_ word: String, _ offset: Int = 1) -> String? {
                guard let i = words.firstIndex(of: word), i + offset < words.count else { return nil }
                return words[i + offset].trimmingCharacters(in: CharacterSet(charactersIn: ",:"))
            }
            if words[3] == "attempt",
                let attempts = Int(words[4].trimmingCharacters(in: CharacterSet(charactersIn: ":")))
            {
                self.attempts = attempts
                httpStatus = after("HTTP").flatMap { Int($0) }
                let code = after("HTTP", 2)
                errorCode = code == "request" ? nil : code
                requestID = words.firstIndex(of: "request").flatMap { i in
                    i + 2 < words.count && words[i + 1] == "id" ? words[i + 2] : nil
                }
            } else if words[3] == "snapshot", let attempts = after("after").flatMap({ Int($0) }) {
                self.attempts = attempts
                httpStatus = 201
                requestID = words.firstIndex(of: "request").flatMap { i in
                    i + 2 < words.count ? words[i + 2].trimmingCharacters(in: CharacterSet(charactersIn: ",")) : nil
                }
            } else {
                return nil
            }
            if requestID == "none" { requestID = nil }
        }
    }

    private static func apply(_ fact: DiskFact, to job: inout JobSnapshot) {
        guard let i = job.disks.firstIndex(where: { $0.progress.index == fact.index }),
            !job.disks[i].attemptsKnown || job.disks[i].progress.attempts < fact.attempts
        else { return }
        job.disks[i].progress.attempts = fact.attempts
        job.disks[i].attemptsKnown = true
        if let status = fact.httpStatus { job.disks[i].progress.httpStatus = status }
        if let code = fact.errorCode { job.disks[i].progress.errorCode = code }
        if let id = fact.requestID { job.disks[i].progress.requestID = id }
    }

    /// `freeze: skipped: freezing is off` (info), `snapshot: 2 of 3 ...` (warning: failed), `thaw: freeze window ...`.
    private static func stageFact(_ line: LogLine) -> (JobStage, PhaseRecord.State, String)? {
        guard let colon = line.message.firstIndex(of: ":"),
            let stage = JobStage(rawValue: String(line.message[..<colon]))
        else { return nil }
        var detail = line.message[line.message.index(after: colon)...].drop { $0 == " " }
        let state: PhaseRecord.State
        if detail.hasPrefix("skipped: ") {
            state = .skipped
            detail = detail.dropFirst("skipped: ".count)
        } else {
            state = line.level >= .warning ? .failed : .succeeded
        }
        return (stage, state, String(detail))
    }

    private static func apply(
        _ stage: JobStage, _ state: PhaseRecord.State, _ detail: String, to job: inout JobSnapshot
    ) {
        guard let i = job.phases.firstIndex(where: { $0.stage == stage }),
            [.unknown, .pending].contains(job.phases[i].state)
        else { return }
        job.phases[i].state = state
        job.phases[i].detail = detail
    }
}
