import Foundation

/// A CA bundle file as `--ca-bundle`, `caBundle` or `SSL_CERT_FILE` name it: checked before any connection, so a
/// wrong path is an error naming the file and who chose it, not a TLS failure per disk.
public enum CABundleFile {
    /// Fails unless `path` is a readable file holding at least one PEM certificate.
    public static func validate(_ path: String, origin: String) throws(TrustStoreError) {
        try checkReadable(path, origin: origin)
        let data = FileManager.default.contents(atPath: path) ?? Data()
        guard data.range(of: Data(pemCertificateMarker.utf8)) != nil else {
            throw TrustStoreError(
                path: path, origin: origin, reason: "holds no PEM certificate (\(pemCertificateMarker))")
        }
    }

    private static let pemCertificateMarker = "-----BEGIN CERTIFICATE-----"

    /// Fails unless `path` is an existing, readable file (not a directory).
    public static func checkReadable(_ path: String, origin: String) throws(TrustStoreError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TrustStoreError(path: path, origin: origin, reason: "does not exist")
        }
        guard !isDirectory.boolValue else {
            throw TrustStoreError(path: path, origin: origin, reason: "is a directory, not a PEM file")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw TrustStoreError(path: path, origin: origin, reason: "cannot be read")
        }
    }
}

/// A CA bundle or directory that cannot be used: names the file, who chose it and why.
public struct TrustStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    /// `--ca-bundle`, `caBundle in FILE`, `SSL_CERT_FILE`...
    public var origin: String
    public var reason: String

    public init(path: String, origin: String, reason: String) {
        self.path = path
        self.origin = origin
        self.reason = reason
    }

    public var description: String { "CA certificates \(path) (from \(origin)) \(reason)" }
}
