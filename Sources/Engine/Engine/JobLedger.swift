import Basics
import Foundation

/// Remembers the last job handled, so that a repeated enable (the agent re-runs it after every restart) does
/// nothing: `mrseq` holds the last sequence number (as the peer keeps it), `lasttaskid` the last taskId.
public struct JobLedger: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    private var sequencePath: String { (directory as NSString).appendingPathComponent("mrseq") }
    private var taskPath: String { (directory as NSString).appendingPathComponent("lasttaskid") }

    /// Why this job was already handled, or nil when it is new.
    public func alreadyHandled(taskID: String, sequenceNumber: Int?) -> String? {
        if let last = read(taskPath), !taskID.isEmpty, last == taskID {
            return "taskId \(taskID) was already handled"
        }
        if let sequenceNumber, let last = read(sequencePath).flatMap({ Int($0) }), last == sequenceNumber {
            return "sequence number \(sequenceNumber) was already handled"
        }
        return nil
    }

    /// Records the job as handled (before any work is done, so a second enable never runs it twice).
    public func record(taskID: String, sequenceNumber: Int?) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(taskID.utf8).write(to: URL(fileURLWithPath: taskPath), options: .atomic)
        if let sequenceNumber {
            try Data(String(sequenceNumber).utf8).write(to: URL(fileURLWithPath: sequencePath), options: .atomic)
        }
    }

    /// Forgets every handled job (uninstall).
    public func forget() {
        for path in [sequencePath, taskPath] { try? FileManager.default.removeItem(atPath: path) }
    }

    private func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
