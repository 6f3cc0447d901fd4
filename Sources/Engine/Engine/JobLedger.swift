import Basics
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Remembers the last job handled, so that a repeated enable (the agent re-runs it after every restart) does
/// nothing: `mrseq` holds the last sequence number (as the peer keeps it), `lasttaskid` the last taskId,
/// `vmidentity` the VM the two were recorded on, and `claims/<N>` every sequence number an enable started a job for;
/// the job history journal beside them (`JobHistory`) moves and goes with them.
public struct JobLedger: Sendable {
    public let directory: String
    /// The VM's identity now (see `VMIdentity`); nil skips the identity check.
    public let identity: String?

    public init(directory: String, identity: String? = nil) {
        self.directory = directory
        self.identity = identity
    }

    private var sequencePath: String { path("mrseq") }
    private var taskPath: String { path("lasttaskid") }
    private var identityPath: String { path("vmidentity") }
    private var claimsPath: String { path("claims") }

    /// Why this job was already handled, or nil when it is new.
    public func alreadyHandled(taskID: String, sequenceNumber: Int?) -> String? {
        if let last = read(taskPath), !taskID.isEmpty, last == taskID {
            return "taskId \(taskID) was already handled"
        }
        if let sequenceNumber, lastSequenceNumber == sequenceNumber {
            return "sequence number \(sequenceNumber) was already handled"
        }
        return nil
    }

    /// The last handled sequence number (`mrseq`).
    public var lastSequenceNumber: Int? { read(sequencePath).flatMap { Int($0) } }

    /// Records the job as handled (before any work is done, so a second enable never runs it twice), on this VM.
    public func record(taskID: String, sequenceNumber: Int?) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try write(taskID, to: taskPath)
        if let sequenceNumber { try write(String(sequenceNumber), to: sequencePath) }
        if let identity { try write(identity, to: identityPath) }
    }

    /// When the ledger was recorded on another VM (this one was restored from a backup of it, or cloned), forgets
    /// every handled job and claim and returns why, for the log; nil when nothing had to be forgotten.
    @discardableResult
    public func forgetIfMachineChanged() -> String? {
        guard let identity, let recorded = read(identityPath), recorded != identity else { return nil }
        let previous = lastSequenceNumber.map { "sequence number \($0)" } ?? "no sequence number"
        forget()
        return
            "the VM's identity changed (recorded \(recorded), now \(identity): restored from a backup or cloned): "
            + "forgot the handled \(previous) and its taskId"
    }

    /// Claims sequence number `number` for one job: true for the first caller only, whatever happened since
    /// (running, finished or crashed), until `forget`.
    public func claim(sequenceNumber number: Int) throws -> Bool {
        try FileManager.default.createDirectory(atPath: claimsPath, withIntermediateDirectories: true)
        let claim = (claimsPath as NSString).appendingPathComponent(String(number))
        do {
            try FileDescriptor.open(claim, O_RDONLY | O_CREAT | O_EXCL, permissions: 0o600).close()
            return true
        } catch  where error.number == EEXIST {
            return false
        }
    }

    /// Copies another ledger's records (the previous version's folder, at update) over this one's.
    public func takeOver(from other: JobLedger) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (source, target) in zip(other.paths, paths) where FileManager.default.fileExists(atPath: source) {
            try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.copyItem(atPath: source, toPath: target)
        }
    }

    private var paths: [String] { [sequencePath, taskPath, identityPath, claimsPath, path(JobHistory.fileName)] }

    /// Forgets every handled job and claim (uninstall, or another VM's ledger).
    public func forget() {
        for path in paths { try? FileManager.default.removeItem(atPath: path) }
    }

    private func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    private func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    private func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
