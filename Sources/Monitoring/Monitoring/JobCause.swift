import Basics
import Engine
import Foundation

/// What an operator needs first about a job that did not plainly succeed: the first failing disk, what storage
/// answered it, and what to do; or, without a failing disk, the failure code's meaning.
public struct JobCause: Sendable, Equatable {
    /// `disk 1 datadisk1.vhd`, or `disk 1 (not named)` when the document does not name the blob.
    public var subject: String
    public var httpStatus: Int?
    public var storageError: StorageErrorCode?
    /// Storage's message or the failure's description (redacted).
    public var message: String
    /// The recommended action (from the storage error's explanation first, else the result code's).
    public var action: String?
    public var failedDisks: Int
    public var totalDisks: Int

    /// `disk 1 datadisk1.vhd: HTTP 403 AuthenticationFailed` (1 of 3 disks failed).
    public var headline: String {
        let answer = [httpStatus.map { "HTTP \($0)" }, storageError?.rawValue].compactMap { $0 }
        var text = subject + (answer.isEmpty ? "" : ": " + answer.joined(separator: " "))
        if totalDisks > 1, failedDisks > 0 { text += " (\(failedDisks) of \(totalDisks) disks failed)" }
        return text
    }
}

extension MonitoredDisk {
    /// `disk 1 datadisk1.vhd`, or `disk 1 (not named)` for a disk whose blob the document leaves out (the peer
    /// writes `blobUri: null` for failed disks).
    public var label: String {
        progress.blob.isEmpty ? "disk \(progress.index) (not named)" : "disk \(progress.index) \(progress.blob)"
    }
}

extension JobSnapshot {
    /// Why the job failed or warns, when it says: the first failed disk, else a failure code's meaning.
    public var cause: JobCause? {
        let failed = disks.filter { $0.progress.state == .failed }
        if let disk = failed.first {
            let p = disk.progress
            let explanation =
                p.errorCode.flatMap(CodeExplanation.lookup)
                ?? healthStatusCode.flatMap { CodeExplanation.lookup(String($0.rawValue)) }
            return JobCause(
                subject: disk.label, httpStatus: p.httpStatus, storageError: p.storageError,
                message: p.errorMessage ?? "", action: explanation?.action, failedDisks: failed.count,
                totalDisks: disks.count)
        }
        guard let code, code.isTerminal, !code.isSuccess else { return nil }
        let entry = code.entry
        return JobCause(
            subject: "code \(code)" + (entry.map { " \($0.name)" } ?? ""),
            message: message.isEmpty ? (entry?.meaning ?? "") : message,
            action: entry?.suggestedAction, failedDisks: 0, totalDisks: disks.count)
    }
}
