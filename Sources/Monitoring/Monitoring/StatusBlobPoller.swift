import Basics
import Engine
import Foundation

/// One answer to a conditional GET of the status blob.
public struct StatusFetch: Sendable, Equatable {
    public var status: Int
    public var etag: String?
    public var body: Data
    /// `x-ms-error-code`, e.g. "AuthenticationFailed".
    public var errorCode: String?

    public init(status: Int, etag: String? = nil, body: Data = Data(), errorCode: String? = nil) {
        self.status = status
        self.etag = etag
        self.body = body
        self.errorCode = errorCode
    }
}

/// Fetches the status blob with `If-None-Match` (the engine's `BlobClient` in production).
public protocol StatusBlobFetching: Sendable {
    func fetch(ifNoneMatch etag: String?) async throws -> StatusFetch
}

/// Polls the status blob: conditional GET with the last ETag (a 304 changes nothing), backoff on errors.
public actor StatusBlobPoller {
    /// What one poll found.
    public enum Outcome: Sendable, Equatable {
        /// A new document.
        case updated(JobSnapshot)
        /// 304: the document did not change.
        case unchanged
        /// The poll failed (HTTP status and storage code, or the transport error), redacted.
        case failed(String)
    }

    /// The shortest interval allowed.
    public static let minimumInterval: TimeInterval = 1
    /// The longest backoff after repeated errors.
    public static let maximumBackoff: TimeInterval = 60

    private let fetcher: any StatusBlobFetching
    public let interval: TimeInterval
    private var etag: String?
    private var consecutiveFailures = 0

    public init(fetcher: any StatusBlobFetching, interval: TimeInterval) {
        self.fetcher = fetcher
        self.interval = max(Self.minimumInterval, interval)
    }

    /// Seconds to wait before the next poll: the interval, doubled per consecutive failure up to a minute.
    public var nextDelay: TimeInterval {
        guard consecutiveFailures > 0 else { return interval }
        return min(Self.maximumBackoff, interval * pow(2, Double(min(consecutiveFailures, 10))))
    }

    /// Polls once.
    public func poll() async -> Outcome {
        let answer: StatusFetch
        do {
            answer = try await fetcher.fetch(ifNoneMatch: etag)
        } catch {
            consecutiveFailures += 1
            return .failed(Redactor.redact(String(describing: error)))
        }
        switch answer.status {
        case 304:
            consecutiveFailures = 0
            return .unchanged
        case 200..<300:
            do {
                let snapshot = try StatusDocumentReader.read(answer.body, origin: .statusBlob, source: "status blob")
                consecutiveFailures = 0
                etag = answer.etag
                return .updated(snapshot)
            } catch {
                consecutiveFailures += 1
                return .failed(error.description)
            }
        default:
            consecutiveFailures += 1
            let code = answer.errorCode ?? (answer.status == 404 ? "BlobNotFound" : "HTTP error")
            return .failed("\(answer.status) \(code)")
        }
    }
}
