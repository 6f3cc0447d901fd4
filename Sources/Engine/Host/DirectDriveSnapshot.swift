import Basics
import Foundation

/// A DirectDrive (Ultra Disk, Premium SSD v2) snapshot the host took: `ddSnapshotIdentifier` of its answer. Its
/// token is a secret: here it is always `REDACTED` (the job keeps the real one for the status blob only).
public struct DirectDriveSnapshot: Sendable, Codable, Equatable {
    /// The snapshot's id (a GUID).
    public var id: String
    /// `creationTime` as the host wrote it.
    public var creationTime: String
    /// `creationTime` in milliseconds since 1970 (fraction truncated); nil when it could not be read.
    public var creationMilliseconds: Int64?
    public var instantAccessDurationMinutes: Int?
    /// Always `REDACTED` when the host gave one.
    public var token: String?

    /// A snapshot as a status document names it (the token already masked or absent).
    public init(id: String, creationTime: String, token: String?) {
        self.id = id
        self.creationTime = creationTime
        creationMilliseconds = Self.milliseconds(creationTime)
        self.token = token
    }

    init(_ fields: [String: JSONValue]) {
        func text(_ key: String) -> String? {
            if case .string(let value) = fields[key] { return value }
            return nil
        }
        id = text("id") ?? ""
        creationTime = text("creationTime") ?? ""
        creationMilliseconds = Self.milliseconds(creationTime)
        if case .integer(let minutes) = fields["instantAccessDurationMinutes"] {
            instantAccessDurationMinutes = Int(exactly: minutes)
        }
        token = text("token").map { _ in Redactor.placeholder }
    }

    /// `YYYY-MM-DDTHH:MM:SS[.f{0,7}]Z` in milliseconds since 1970.
    static func milliseconds(_ text: String) -> Int64? {
        guard text.hasSuffix("Z") else { return nil }
        let body = text.dropLast()
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let fraction = parts.count > 1 ? parts[1] : ""
        guard fraction.count <= 7, fraction.allSatisfy(\.isASCII), fraction.allSatisfy(\.isNumber) else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard let seconds = formatter.date(from: String(parts[0]) + "Z") else { return nil }
        let milliseconds = Int64(String((fraction + "000").prefix(3))) ?? 0
        return Int64(seconds.timeIntervalSince1970) * 1000 + milliseconds
    }
}
