import Foundation

/// Remembers the last job handled, so that a repeated enable (the agent re-runs it after every restart) does
/// nothing: `mrseq` holds the last sequence number (as the peer keeps it), `lasttaskid` the last taskId.
struct JobLedger: Sendable {
    let directory: String

    private var sequencePath: String { (directory as NSString).appendingPathComponent("mrseq") }
    private var taskPath: String { (directory as NSString).appendingPathComponent("lasttaskid") }

    /// Why this job was already handled, or nil when it is new.
    func alreadyHandled(taskID: String, sequenceNumber: Int?) -> String? {
        if let last = read(taskPath), !taskID.isEmpty, last == taskID {
            return "taskId \(taskID) was already handled"
        }
        if let sequenceNumber, let last = read(sequencePath).flatMap({ Int($0) }), last == sequenceNumber {
            return "sequence number \(sequenceNumber) was already handled"
        }
        return nil
    }

    /// Records the job as handled (before any work is done, so a second enable never runs it twice).
    func record(taskID: String, sequenceNumber: Int?) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(taskID.utf8).write(to: URL(fileURLWithPath: taskPath), options: .atomic)
        if let sequenceNumber {
            try Data(String(sequenceNumber).utf8).write(to: URL(fileURLWithPath: sequencePath), options: .atomic)
        }
    }

    private func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
