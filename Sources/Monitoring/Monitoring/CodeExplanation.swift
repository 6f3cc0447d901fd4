import Basics
import Engine
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

    /// Storage error codes a disk or status blob request meets that map to no result code of their own.
    static let storageOnlyCodes: [String: (meaning: String, action: String)] = [
        "AuthenticationFailed": (
            "storage rejected the SAS URI: its signature does not match, or it expired or is not yet valid (se/st)",
            "check the VM's clock (NTP) against the SAS start and expiry (vmsnap config validate shows them); "
                + "the backup service sends fresh SAS URIs with the next job: retry the backup"
        ),
        "AuthorizationPermissionMismatch": (
            "the SAS URI lacks the permission the request needs (sp)",
            "snapshots and uploads need w in sp, polling needs r: ask for a SAS URI with those permissions"
        ),
        "BlobNotFound": (
            "the blob the SAS URI names does not exist",
            "check the disk is still attached and its blob not deleted or moved; retry the backup"
        ),
    ]

    /// The error catalog's entry for a result code ("121", "761"), a service code, a result-code name, or a
    /// storage error code (mapped to the result code the extension makes of it, or explained on its own).
    public static func lookup(_ code: String) -> CodeExplanation? {
        if let mapped = storageCodes[code], let entry = ErrorCatalog.resultCode(mapped) {
            return CodeExplanation(
                code: code, name: "storage error, reported as \(mapped) \(entry.name)", meaning: entry.meaning,
                action: entry.suggestedAction)
        }
        if let known = storageOnlyCodes[code] {
            return CodeExplanation(code: code, name: "storage error", meaning: known.meaning, action: known.action)
        }
        return ErrorCatalog.lookup(code).map {
            CodeExplanation(
                code: $0.code.map(String.init) ?? code, name: $0.name, meaning: $0.meaning, action: $0.suggestedAction)
        }
    }
}
