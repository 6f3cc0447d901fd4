/// Turns the disks' results into the extension result code, per the error-code table.
enum SnapshotOutcome {
    /// A failed job's code, its `vmHealthStatusCode` and a summary; nil when every disk succeeded.
    static func classify(_ disks: [DiskProgress], clientFailure: Bool) -> (code: Int, health: Int, message: String)? {
        let failed = disks.filter { $0.state != .succeeded }
        guard !failed.isEmpty else { return nil }
        let details = failed.prefix(5).map(describe).joined(separator: "; ") + (failed.count > 5 ? "; ..." : "")
        let summary = "\(failed.count) of \(disks.count) disk snapshot(s) failed: \(details)"
        if failed.contains(where: isLimitReached) { return (85, 85, summary) }
        if failed.contains(where: isRateExceeded) { return (173, 173, summary) }
        if clientFailure { return (15, 15, summary) }
        return failed.count == disks.count ? (76, 76, summary) : (76, 761, summary)
    }

    /// `disk1.vhd: HTTP 403 AuthenticationFailed (request id X): message`.
    static func describe(_ disk: DiskProgress) -> String {
        var text = disk.blob
        if let status = disk.httpStatus { text += ": HTTP \(status)" } else { text += ":" }
        if let code = disk.errorCode { text += " \(code)" }
        if let id = disk.requestID { text += " (request id \(id))" }
        if let message = disk.errorMessage { text += " \(message)" }
        return text
    }

    private static func isLimitReached(_ disk: DiskProgress) -> Bool {
        disk.errorCode == "SnapshotCountExceeded"
            || disk.errorMessage?.contains("snapshot count against this blob has been exceeded") == true
    }

    private static func isRateExceeded(_ disk: DiskProgress) -> Bool {
        ["SnapshotOperationRateExceeded", "SnaphotOperationRateExceeded"].contains(disk.errorCode ?? "")
            || disk.errorMessage?.contains("rate of snapshot blob calls is exceeded") == true
    }

    /// `vmHealthState` for a code: 0 green, 128 yellow, 256 red (the error catalog's health column).
    static func healthState(for code: Int) -> Int {
        ErrorCatalog.resultCode(code)?.health?.statusCode ?? ErrorCatalog.Health.green.statusCode
    }

    /// The status word for a terminal code.
    static func statusWord(for code: Int) -> String {
        switch code {
        case 0, 1, 3: "success"
        case 4: "transitioning"
        default: "error"
        }
    }
}
