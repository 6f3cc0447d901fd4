/// An extension result code: the numeric `code` of a status document (and, for 761, its `vmHealthStatusCode`),
/// numbered as Microsoft's Linux snapshot extension numbers them (error-codes.md).
public struct ResultCode: RawRepresentable, Hashable, Comparable, Sendable, Codable, ExpressibleByIntegerLiteral,
    CustomStringConvertible
{
    public let rawValue: Int

    public init(rawValue: Int) { self.rawValue = rawValue }
    public init(_ rawValue: Int) { self.rawValue = rawValue }
    public init(integerLiteral value: Int) { rawValue = value }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(Int.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public static func < (lhs: ResultCode, rhs: ResultCode) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { String(rawValue) }

    public static let applicationConsistent: ResultCode = 0
    public static let success: ResultCode = 1
    public static let error: ResultCode = 2
    public static let alreadyProcessed: ResultCode = 3
    public static let transitioning: ResultCode = 4
    public static let invalidParameter: ResultCode = 11
    public static let httpFailure: ResultCode = 15
    public static let certificateNotFound: ResultCode = 16
    public static let snapshotFailed: ResultCode = 76
    /// `vmHealthStatusCode` of a job where some, not all, disks failed (its `code` stays 76).
    public static let someSnapshotsFailed: ResultCode = 761
    public static let snapshotLimitReached: ResultCode = 85
    public static let snapshotRateExceeded: ResultCode = 173
    public static let freezeFailed: ResultCode = 121
    public static let freezeTimeout: ResultCode = 122
    public static let unableToOpenMount: ResultCode = 123
    public static let freezeHelperMissing: ResultCode = 124
    public static let commandTooLate: ResultCode = 402

    /// 0, 1 and 3: the job ended and left good snapshots (or had nothing to do).
    public var isSuccess: Bool { self == .applicationConsistent || self == .success || self == .alreadyProcessed }
    /// 500-512: the database quiesce failed; the snapshots themselves may be good (health yellow).
    public var isWorkloadFailure: Bool { (500...512).contains(rawValue) }
    /// Every code but 4 ends a job.
    public var isTerminal: Bool { self != .transitioning }
    /// The catalog entry (name, meaning, health, action), when the code is known.
    public var entry: ErrorCatalog.Entry? { ErrorCatalog.resultCode(rawValue) }
    /// Microsoft's name for the code, e.g. `FailedRetryableFsFreezeFailed`.
    public var name: String? { entry?.name }
    /// The status word a document carrying this code must have.
    public var statusWord: StatusWord {
        if isSuccess { return .success }
        return self == .transitioning ? .transitioning : .error
    }
    /// `vmHealthState` reported beside the code (0 green, 128 yellow, 256 red).
    public var healthState: Int { entry?.health?.statusCode ?? ErrorCatalog.Health.green.statusCode }

    /// The stage a failure code names for certain (freeze 121-124, scripts 300-318); other codes name none.
    public var failingStage: JobStage? {
        switch rawValue {
        case 121...124: .freeze
        case 300, 302, 304, 305, 306, 308, 310...318: .preScript
        case 301, 303, 307, 309: .postScript
        case 500...512: .database
        default: nil
        }
    }

    /// Reads a code written as a number or as a string of digits (the peer writes strings).
    public init?(parsing text: String) {
        guard let number = Int(text.trimmingCharacters(in: .whitespaces)) else { return nil }
        self.init(number)
    }
}
