import Foundation

/// The error codes of the snapshot extension and the backup service as data: name, meaning, health and what
/// an operator should do.
public enum ErrorCatalog {
    /// The `vmHealthState` reported beside a code.
    public enum Health: String, Sendable, Codable, CaseIterable {
        case green, yellow, red

        /// The numeric `vmHealthStatusCode` form: 0, 128, 256.
        public var statusCode: Int {
            switch self {
            case .green: 0
            case .yellow: 128
            case .red: 256
            }
        }
    }

    /// One catalog entry.
    public struct Entry: Sendable, Equatable, Codable {
        /// The numeric result code, or nil for a service-side code.
        public var code: Int?
        /// The name, e.g. `FailedRetryableFsFreezeFailed` or `UserErrorFsFreezeFailed`.
        public var name: String
        public var meaning: String
        /// Health beside a result code; nil for service-side codes.
        public var health: Health?
        public var suggestedAction: String
        /// Whether the backup service may retry the job ("Retryable" in the name).
        public var retryable: Bool { name.contains("Retryable") }
    }

    /// The entry for an extension result code (`code` in status documents, or 761 as `vmHealthStatusCode`).
    public static func resultCode(_ code: Int) -> Entry? { resultCodesByNumber[code] }

    /// The entry for a service-side error code name (case-insensitive), e.g. `UserErrorFsFreezeFailed`.
    public static func serviceCode(_ name: String) -> Entry? { serviceCodesByName[name.lowercased()] }

    /// The entry for a result code written as a string or number (the peer writes strings); falls back to a
    /// service-side name.
    public static func lookup(_ text: String) -> Entry? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let number = Int(trimmed) { return resultCode(number) }
        return serviceCode(trimmed) ?? resultCodes.first { $0.name.caseInsensitiveCompare(trimmed) == .orderedSame }
    }

    /// Every result code, in table order.
    public static let resultCodes: [Entry] = ResultCodeTable.entries
    /// Every service-side code, in table order.
    public static let serviceCodes: [Entry] = ServiceCodeTable.entries

    private static let resultCodesByNumber: [Int: Entry] = Dictionary(
        uniqueKeysWithValues: resultCodes.map { ($0.code!, $0) })
    private static let serviceCodesByName: [String: Entry] = Dictionary(
        uniqueKeysWithValues: serviceCodes.map { ($0.name.lowercased(), $0) })
}
