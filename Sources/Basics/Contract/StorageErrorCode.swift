/// A storage service error code (`x-ms-error-code`), e.g. `AuthenticationFailed`, with what it means for a snapshot.
public struct StorageErrorCode: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    public static let snapshotCountExceeded = StorageErrorCode("SnapshotCountExceeded")
    public static let snapshotRateExceeded = StorageErrorCode("SnapshotOperationRateExceeded")
    /// The misspelt name some storage versions send for the same condition.
    public static let snapshotRateExceededMisspelt = StorageErrorCode("SnaphotOperationRateExceeded")
    public static let authenticationFailed = StorageErrorCode("AuthenticationFailed")
    public static let blobNotFound = StorageErrorCode("BlobNotFound")

    /// Whether the blob has reached its snapshot limit (the job ends with 85).
    public var isSnapshotLimit: Bool { self == .snapshotCountExceeded }
    /// Whether storage throttled snapshots of the blob (the job ends with 173).
    public var isSnapshotRate: Bool { self == .snapshotRateExceeded || self == .snapshotRateExceededMisspelt }
}
