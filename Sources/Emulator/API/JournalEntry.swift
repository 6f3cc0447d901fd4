import Foundation

/// One request the emulator received, as tests read it back (signatures redacted).
public struct JournalEntry: Sendable, Equatable, Codable {
    /// When the request was complete.
    public var time: Date
    public var method: String
    /// Path and query as received, `sig` replaced by `REDACTED`.
    public var path: String
    /// The recognised operation, nil for unsupported requests and admin calls.
    public var operation: BlobOperation?
    /// Request headers, lowercased names; the `Authorization` signature is redacted.
    public var headers: [String: String]
    /// Response status; 0 when the connection was reset or left unanswered.
    public var status: Int
    /// `x-ms-error-code` of the answer, if any.
    public var errorCode: String?
    /// `x-ms-request-id` of the answer (empty when unanswered).
    public var requestID: String
    /// The fault injected, if any (e.g. `latency(ms: 200)`).
    public var fault: String?
    /// The JSON body of a host call (snapshotTaskToken and DiskEncryptionSettings values REDACTED); nil otherwise.
    public var body: String?
}
