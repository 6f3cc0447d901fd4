import Basics
import Foundation
import Logging

/// Makes the host path's two calls for a job and turns the answers into what the job reports: the presnapshot
/// probe (its status code, the host's clock, the ADE facts) and the dosnapshot (one `DiskProgress` per entry).
struct HostSnapshotter: Sendable {
    let wireServer: WireServerClient
    let requests: HostRequests
    let logger: Logger

    /// What a presnapshot found.
    struct Probe: Sendable {
        var code: HostStatusCode
        /// The host's clock minus the VM's, when the host answered with a readable `responseTime`.
        var hostClockOffset: TimeInterval?
        var encryption: HostEncryption?
        /// 200/201 with a body that could be read: the host path may go on.
        var succeeded: Bool { code.isSuccess }
    }

    /// What a dosnapshot found.
    struct Result: Sendable {
        var code: HostStatusCode
        var disks: [DiskProgress]
        /// DirectDrive tokens by disk index (for the status blob only).
        var tokens: [Int: String]
    }

    /// Asks presnapshot (never while frozen); `withSettings` adds preSnapshotSettings (isVMADEEnabled).
    func probe(withSettings: Bool, timeout: Duration) async -> Probe {
        let started = ContinuousClock.now
        let answer = await wireServer.post(
            .presnapshot, body: requests.presnapshot(withSettings: withSettings), timeout: timeout)
        let took = ContinuousClock.now - started
        var probe = Probe(code: answer.code)
        if answer.code.isSuccess {
            if let parsed = PresnapshotAnswer(answer.body) {
                probe.hostClockOffset = parsed.hostTime.map { $0.timeIntervalSinceNow }
                probe.encryption = parsed.encryption
            } else if requests.settings.host.adeEnabled {
                probe.code = .unreadable
            }
        }
        var line = "presnapshot answered \(probe.code) (\(probe.code.explanation)) in \(Self.milliseconds(took)) ms"
        if let failure = answer.failure { line += ": \(failure)" }
        if let offset = probe.hostClockOffset { line += String(format: "; host clock %+.0f s from the VM's", offset) }
        if let encryption = probe.encryption {
            line +=
                "; ADE: OS disk encrypted \(encryption.osDiskEncrypted), data disks encrypted \(encryption.dataDisksEncrypted), DiskEncryptionSettings \(encryption.settings.utf8.count) characters"
        }
        if probe.succeeded { logger.info("\(line)") } else { logger.warning("\(line)") }
        return probe
    }

    /// Asks dosnapshot (while frozen) and reads its answer.
    func snapshot(encryption: HostEncryption?, timeout: Duration) async -> Result {
        logger.info("dosnapshot request: \(requests.dosnapshot(encryption: encryption, redacting: true))")
        let answer = await wireServer.post(
            .dosnapshot, body: requests.dosnapshot(encryption: encryption), timeout: timeout)
        var code = answer.code
        var entries: [HostSnapshotEntry] = []
        if code.isSuccess {
            if let read = HostSnapshotEntry.entries(answer.body) {
                entries = read
            } else {
                code = .unreadable
            }
        }
        var tokens: [Int: String] = [:]
        let disks = entries.enumerated().map { index, entry in
            if let token = entry.directDriveToken {
                KnownSecrets.remember(token)
                tokens[index] = token
            }
            return Self.progress(entry, index: index)
        }
        if !code.isSuccess {
            let detail = answer.failure ?? String(decoding: answer.body.prefix(300), as: UTF8.self)
            logger.error("dosnapshot answered \(code) (\(code.explanation)): \(Redactor.redact(detail))")
        }
        for disk in disks {
            let what =
                disk.directDrive.map { "DirectDrive snapshot \($0.id) created \($0.creationTime)" }
                ?? disk.hostSnapshotURI ?? "no snapshot"
            let line = "host disk \(disk.index) \(disk.blobURI): \(disk.state == .succeeded ? what : disk.errorSummary)"
            if disk.state == .succeeded { logger.info("\(line)") } else { logger.error("\(line)") }
        }
        return Result(code: code, disks: disks, tokens: tokens)
    }

    /// A host entry as a disk's progress: its blob URI is the snapshot URI up to `?` (DirectDrive: up to
    /// `/snapshots`).
    static func progress(_ entry: HostSnapshotEntry, index: Int) -> DiskProgress {
        var blobURI = ""
        if let uri = entry.snapshotURI {
            let end =
                entry.directDrive != nil
                ? uri.range(of: "/snapshots")?.lowerBound : uri.firstIndex(of: "?")
            blobURI = String(uri[..<(end ?? uri.endIndex)])
        }
        let url = URL(string: blobURI)
        let parts = url?.path.split(separator: "/").map(String.init) ?? []
        var progress = DiskProgress(
            index: index, blobURI: blobURI, account: url?.host ?? "",
            container: parts.count > 1 ? parts[parts.count - 2] : "", blob: parts.last ?? "(no snapshot)",
            state: entry.succeeded ? .succeeded : .failed, attempts: 1)
        progress.path = .host
        progress.httpStatus = entry.statusCode
        progress.hostSnapshotURI = entry.directDrive == nil ? entry.snapshotURI.map(Redactor.redact) : nil
        progress.directDrive = entry.directDrive
        if !entry.succeeded { progress.errorMessage = Redactor.redact(entry.errorMessage) }
        return progress
    }

    private static func milliseconds(_ duration: Duration) -> Int { Int(duration / .milliseconds(1)) }
}

/// Turns the host's answer into the job's code, per host-snapshot.md section 8 (without the peer's defects: a
/// partial failure is 76 with 761, an all-failed job is an error, 556 gets its final status).
enum HostOutcome {
    /// The failed job's code, health code and message; nil when every entry succeeded and the thaw was clean.
    static func classify(
        _ disks: [DiskProgress], thawProblem: Bool, preSnapshot: HostStatusCode?, doSnapshot: HostStatusCode?
    ) -> (code: ResultCode, health: ResultCode, message: String)? {
        var code: ResultCode = thawProblem ? .error : .success
        let failed = disks.filter { $0.state != .succeeded }
        if code == .success, let limited = failed.first(where: { isRate($0) || isCount($0) }) {
            code = isRate(limited) ? .snapshotRateExceeded : .snapshotLimitReached
        }
        let details = failed.prefix(5).map { "\($0.blob): \($0.errorSummary)" }.joined(separator: "; ")
        if failed.count == disks.count {
            let answer = doSnapshot.map { "dosnapshot \($0): \($0.explanation)" } ?? "no dosnapshot answer"
            let message =
                disks.isEmpty
                ? "the host took no snapshot (\(answer))"
                : "all \(disks.count) host snapshot(s) failed (\(answer)): \(details)"
            let remote = code == .success && doSnapshot == .remoteServerError && preSnapshot?.isSuccess == true
            let final: ResultCode = remote ? 556 : .snapshotFailed
            return (final, final, message)
        }
        if !failed.isEmpty && code == .success {
            return (
                .snapshotFailed, .someSnapshotsFailed,
                "\(failed.count) of \(disks.count) host snapshot(s) failed: \(details)"
            )
        }
        if code == .error { return (code, code, "snapshots taken by the host, but thawing reported a problem") }
        if code != .success {
            return (code, code, "\(failed.count) of \(disks.count) host snapshot(s) failed: \(details)")
        }
        return nil
    }

    private static func isRate(_ disk: DiskProgress) -> Bool {
        disk.errorMessage?.contains("The rate of snapshot blob calls is exceeded") == true
    }

    private static func isCount(_ disk: DiskProgress) -> Bool {
        disk.errorMessage?.contains("The snapshot count against this blob has been exceeded") == true
    }
}
