import Basics
import Foundation
import Logging

/// Takes one disk's snapshot with retries under a deadline, publishing its progress after every step.
struct DiskSnapshotter: Sendable {
    let client: BlobClient
    let metadata: [MetadataEntry]
    let retry: RetryPolicy
    let logger: Logger

    /// The disk's final progress, and whether it failed because the client refused the request. `extraMetadata`
    /// (the disk's DiskEncryptionSettings) goes on this disk's snapshot beside `metadata`.
    func snapshot(
        _ uri: SASBlobURI, index: Int, extraMetadata: [MetadataEntry] = [], until deadline: ContinuousClock.Instant,
        publish: @Sendable (DiskProgress) -> Void
    ) async -> (DiskProgress, clientFailure: Bool) {
        var progress = DiskProgress(
            index: index, blobURI: uri.blobURI, account: uri.account, container: uri.container, blob: uri.blob)
        var newConnections = 0
        let outcome = await retry.run(until: deadline) { attempt in
            switch attempt {
            case .sending(let number):
                progress.attempts = number
                progress.state = .inFlight
            case .answered(let response):
                progress.httpStatus = response.status
                // The answer's texts are the server's: redacted before they reach events, results and messages.
                progress.requestID = response.requestID.map(Redactor.redact)
                newConnections += response.connectionsOpened
                // Whole microseconds: a figure people read, without float noise such as 150.77437700000004.
                progress.latencyMilliseconds = (response.latency / .microseconds(1)).rounded() / 1000
                progress.errorCode = response.errorCode.map(Redactor.redact)
                progress.errorMessage = response.isSuccess ? nil : response.errorMessage.map(Redactor.redact)
                if response.isSuccess {
                    progress.snapshotTime = response.header("x-ms-snapshot")
                    progress.state = .succeeded
                } else {
                    logger.warning(
                        "disk \(index) \(uri.blobURI): attempt \(progress.attempts) answered HTTP \(response.status) \(response.errorCode ?? "") request id \(response.requestID ?? "none") client request id \(response.clientRequestID)"
                    )
                }
            case .failed(let error):
                progress.httpStatus = nil
                progress.requestID = nil
                progress.errorCode = nil
                progress.errorMessage = error.message
                // A failure that ends the disk's attempts is logged once, with the disk's final line.
                if RetryPolicy.isRetryable(error) {
                    logger.warning("disk \(index) \(uri.blobURI): attempt \(progress.attempts) got no answer: \(error)")
                }
            case .waiting:
                progress.state = .retrying
            }
            publish(progress)
        } _: { timeout async throws(BlobTransportError) in
            try await client.snapshot(uri, metadata: metadata + extraMetadata, timeout: timeout)
        }
        if outcome.succeeded {
            logger.info(
                "disk \(index) \(uri.blobURI): snapshot \(progress.snapshotTime ?? "?") after \(outcome.attempts) attempt(s), request id \(progress.requestID ?? "none"), \(newConnections) new connection(s)"
            )
            return (progress, false)
        }
        progress.state = .failed
        progress.errorMessage = [progress.errorMessage, outcome.stopReason].compactMap { $0 }.joined(separator: "; ")
        logger.error("disk \(index) \(uri.blobURI): snapshot failed: \(SnapshotOutcome.describe(progress))")
        publish(progress)
        return (progress, outcome.transportError?.kind == .client)
    }
}
