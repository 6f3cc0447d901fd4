import Basics
import Foundation
import Synchronization

/// Publishes a job's status while it runs: the local status file when the job's status or code changes (accepted,
/// terminal; the agent reads nothing else from it), the status blob at each stage change and at most twice a
/// second while disks progress (one upload in flight at a time, always the latest report, read from the live
/// report only when it goes out), nothing at all while filesystems are frozen; and finally the terminal document,
/// with retries.
final class StatusReporter: Sendable {
    private struct State {
        var generation = 0
        var uploadedGeneration = -1
        var urgent = false
        var held = false
        var lastUpload: ContinuousClock.Instant?
        var fileFailure: String?
        /// Status word and code of the last status file written: the file is rewritten only when they change.
        var fileState: String?
    }

    private let client: BlobClient
    private let statusBlob: SASBlobURI?
    private let statusFile: StatusFileWriter?
    private let retry: RetryPolicy
    /// Shared with the uploader task.
    private final class Shared: Sendable {
        let state = Mutex(State())
        let live: LiveReport
        init(_ live: LiveReport) { self.live = live }
    }

    private let shared: Shared
    private let nudges: AsyncStream<Void>.Continuation
    private let uploader: Task<Void, Never>
    /// Spacing of progress-only uploads.
    static let progressInterval = Duration.milliseconds(500)

    init(
        client: BlobClient, statusBlob: SASBlobURI?, statusFile: StatusFileWriter?, live: LiveReport,
        retry: RetryPolicy
    ) {
        self.client = client
        self.statusBlob = statusBlob
        self.statusFile = statusFile
        self.retry = retry
        let shared = Shared(live)
        self.shared = shared
        let (stream, nudges) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.nudges = nudges
        uploader = Task { [client] in
            guard let statusBlob else { return }
            for await _ in stream {
                let urgent = shared.state.withLock { $0.urgent }
                if !urgent, let last = shared.state.withLock({ $0.lastUpload }) {
                    let wait = Self.progressInterval - (ContinuousClock.now - last)
                    if wait > .zero { try? await Task.sleep(for: wait) }
                }
                let next: Int? = shared.state.withLock { state in
                    guard !state.held, state.generation != state.uploadedGeneration else { return nil }
                    state.urgent = false
                    return state.generation
                }
                guard let generation = next, !Task.isCancelled else { continue }
                // Read after the generation: the report is at least as new as the change that asked for it.
                _ = try? await client.putDocument(
                    statusBlob, body: Self.encode(shared.live.current), contentType: "application/json",
                    timeout: retry.attemptTimeout)
                shared.state.withLock { state in
                    state.uploadedGeneration = max(state.uploadedGeneration, generation)
                    state.lastUpload = .now
                }
            }
        }
    }

    /// The live report changed (to `report`, which is not kept); a stage change uploads without waiting (and
    /// writes the status file if its status or code changed).
    func update(_ report: JobReport, stageChanged: Bool) {
        let writeFile = shared.state.withLock { state in
            state.generation += 1
            if stageChanged { state.urgent = true }
            return stageChanged && !state.held
        }
        if writeFile { writeStatusFile(report) }
        nudges.yield()
    }

    /// Stops file writes and uploads (filesystems are about to be frozen).
    func hold() { shared.state.withLock { $0.held = true } }

    /// Resumes after thaw: writes and uploads the latest report.
    func resume() {
        shared.state.withLock { state in
            state.held = false
            state.urgent = true
        }
        writeStatusFile(shared.live.current)
        nudges.yield()
    }

    /// Stops publishing without a terminal document (a repeated job must not overwrite the first one's status).
    func abandon() {
        nudges.finish()
        uploader.cancel()
    }

    /// The last error writing the status file, if any.
    var fileFailure: String? { shared.state.withLock { $0.fileFailure } }

    /// Writes and uploads the terminal report (retrying until `deadline`); returns it with
    /// `statusUploadFailure` set when the upload finally failed, as also written to the status file.
    func finish(_ terminal: JobReport, deadline: ContinuousClock.Instant) async -> (JobReport, uploaded: Bool) {
        nudges.finish()
        uploader.cancel()
        await uploader.value
        shared.state.withLock { $0.held = false }
        writeStatusFile(terminal, always: true)
        guard let statusBlob else { return (terminal, false) }
        let body = Self.encode(terminal)
        let outcome = await retry.run(until: deadline) { [client] timeout async throws(BlobTransportError) in
            try await client.putDocument(statusBlob, body: body, contentType: "application/json", timeout: timeout)
        }
        guard !outcome.succeeded else { return (terminal, true) }
        var failed = terminal
        failed.statusUploadFailure = Self.describe(outcome)
        writeStatusFile(failed)
        return (failed, false)
    }

    /// One line on why a retried request failed: status, storage code, request id, or the network error.
    static func describe(_ outcome: RetryPolicy.Outcome) -> String {
        var parts: [String] = []
        if let error = outcome.transportError {
            parts.append(error.message)
        } else if let response = outcome.response {
            parts.append("HTTP \(response.status)")
            if let code = response.errorCode { parts.append(code) }
            if let id = response.requestID { parts.append("request id \(id)") }
        }
        parts.append("\(outcome.attempts) attempt(s)")
        if let reason = outcome.stopReason { parts.append(reason) }
        return Redactor.redact(parts.joined(separator: ", "))
    }

    static func encode(_ report: JobReport) -> Data {
        (try? JSONEncoder().encode([report.blobDocument()])) ?? Data()
    }

    private func writeStatusFile(_ report: JobReport, always: Bool = false) {
        guard let statusFile else { return }
        let fileState = "\(report.status) \(report.code) \(report.statusUploadFailure ?? "")"
        let unchanged = shared.state.withLock { state in
            defer { state.fileState = fileState }
            return state.fileState == fileState
        }
        guard always || !unchanged else { return }
        do {
            try statusFile.write(report)
        } catch {
            shared.state.withLock { $0.fileFailure = Redactor.redact("\(error)") }
        }
    }
}
