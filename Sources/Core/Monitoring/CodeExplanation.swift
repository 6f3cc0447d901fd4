import Foundation

/// What an error code means and what to do about it, as the explanation pane shows it.
public struct CodeExplanation: Sendable, Equatable {
    public var code: String
    public var name: String
    public var meaning: String
    public var action: String

    public init(code: String, name: String, meaning: String, action: String) {
        self.code = code
        self.name = name
        self.meaning = meaning
        self.action = action
    }
}

extension CodeExplanation {
    /// Storage error codes (`x-ms-error-code`) that the extension turns into a result code.
    static let storageCodes = ["SnapshotCountExceeded": 85, "SnapshotOperationRateExceeded": 173]

    /// The error catalog's entry for a result code ("121", "761"), a service code, a result-code name, or a
    /// storage error code the extension maps to a result code.
    public static func lookup(_ code: String) -> CodeExplanation? {
        if let mapped = storageCodes[code], let entry = ErrorCatalog.resultCode(mapped) {
            return CodeExplanation(
                code: code, name: "storage error, reported as \(mapped) \(entry.name)", meaning: entry.meaning,
                action: entry.suggestedAction)
        }
        return ErrorCatalog.lookup(code).map {
            CodeExplanation(
                code: $0.code.map(String.init) ?? code, name: $0.name, meaning: $0.meaning, action: $0.suggestedAction)
        }
    }
}
