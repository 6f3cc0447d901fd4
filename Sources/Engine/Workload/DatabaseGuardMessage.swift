import Basics
import Foundation

/// One line (JSON) the database guard writes to the job: `quiesced` once the quiesce holds, then `finished`.
public struct DatabaseGuardMessage: Codable, Sendable, Equatable {
    /// What the line reports.
    public enum Kind: String, Codable, Sendable {
        case quiesced, finished
    }

    public var kind: Kind
    /// Connecting and authenticating, before the quiesce statement was sent.
    public var connectNanoseconds: UInt64 = 0
    /// From sending the quiesce statement to its confirmation.
    public var acquireNanoseconds: UInt64 = 0
    /// From sending the quiesce statement to the confirmed release: the window in which the quiesce was in force
    /// (for MySQL/MariaDB the window of blocked writes).
    public var heldNanoseconds: UInt64 = 0
    /// A 5xx when the quiesce or its release failed.
    public var failureCode: Int?
    /// Why, redacted (the client's error line, never its command line).
    public var failureMessage: String?

    public init(kind: Kind, failureCode: Int? = nil, failureMessage: String? = nil) {
        self.kind = kind
        self.failureCode = failureCode
        self.failureMessage = failureMessage.map(Redactor.redact)
    }
}
