import Basics

/// Turns the disks' results into the extension result code, per the error-code table.
enum SnapshotOutcome {
    /// A failed job's code, its `vmHealthStatusCode` and a summary; nil when every disk succeeded.
    static func classify(_ disks: [DiskProgress], clientFailure: Bool) -> (
        code: ResultCode, health: ResultCode, message: String
    )? {
        let failed = disks.filter { $0.state != .succeeded }
        guard !failed.isEmpty else { return nil }
        let details = failed.prefix(5).map(describe).joined(separator: "; ") + (failed.count > 5 ? "; ..." : "")
        let summary = "\(failed.count) of \(disks.count) disk snapshot(s) failed: \(details)"
        if failed.contains(where: isLimitReached) { return (.snapshotLimitReached, .snapshotLimitReached, summary) }
        if failed.contains(where: isRateExceeded) { return (.snapshotRateExceeded, .snapshotRateExceeded, summary) }
        if clientFailure { return (.httpFailure, .httpFailure, summary) }
        return failed.count == disks.count
            ? (.snapshotFailed, .snapshotFailed, summary) : (.snapshotFailed, .someSnapshotsFailed, summary)
    }

    /// `disk1.vhd: HTTP 403 AuthenticationFailed: message (request id X)`.
    static func describe(_ disk: DiskProgress) -> String {
        disk.blob + ": " + disk.errorSummary + (disk.requestID.map { " (request id \($0))" } ?? "")
    }

    private static func isLimitReached(_ disk: DiskProgress) -> Bool {
        disk.storageError?.isSnapshotLimit == true
            || disk.errorMessage?.contains("snapshot count against this blob has been exceeded") == true
    }

    private static func isRateExceeded(_ disk: DiskProgress) -> Bool {
        disk.storageError?.isSnapshotRate == true
            || disk.errorMessage?.contains("rate of snapshot blob calls is exceeded") == true
    }
}
