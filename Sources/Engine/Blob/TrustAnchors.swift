import Basics
import CVMSnapCurl
import Foundation

/// The certificates a TLS peer is verified against: a CA bundle (PEM file) and/or an OpenSSL hashed directory, and
/// who chose them. Resolved as the curl tool resolves them: an explicit bundle (`--ca-bundle`, `caBundle`) first,
/// then `CURL_CA_BUNDLE`, then `SSL_CERT_DIR` and `SSL_CERT_FILE`, then libcurl's built-in default.
public struct TrustAnchors: Sendable, Hashable, CustomStringConvertible {
    /// A PEM file of CA certificates, loaded whole.
    public var bundle: String?
    /// A directory of `<subject hash>.N` certificates, read one certificate at a time as verification needs it.
    public var directory: String?
    /// Who chose them, for messages: `--ca-bundle`, `caBundle in /etc/vmsnap/config.json`, `SSL_CERT_FILE`...
    public var origin: String

    public init(bundle: String?, directory: String?, origin: String) {
        self.bundle = bundle
        self.directory = directory
        self.origin = origin
    }

    /// The environment variables read, in the curl tool's order.
    public static let bundleVariable = "CURL_CA_BUNDLE"
    public static let fileVariable = "SSL_CERT_FILE"
    public static let directoryVariable = "SSL_CERT_DIR"

    /// `explicit` (named by `origin`) when given, else the environment's choice, else libcurl's default. libcurl's
    /// default directory is preferred to its default bundle when the directory is hashed: it holds the same system
    /// certificates and costs one certificate read per verification instead of parsing the whole bundle.
    public static func resolve(
        explicit: String?, origin: String = "the blob client's configuration",
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> TrustAnchors {
        if let explicit { return TrustAnchors(bundle: explicit, directory: nil, origin: origin) }
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let bundle = value(bundleVariable) {
            return TrustAnchors(bundle: bundle, directory: nil, origin: bundleVariable)
        }
        let file = value(fileVariable)
        let directory = value(directoryVariable)
        if file != nil || directory != nil {
            let origin = [file.map { _ in fileVariable }, directory.map { _ in directoryVariable }].compactMap { $0 }
            return TrustAnchors(bundle: file, directory: directory, origin: origin.joined(separator: " and "))
        }
        return libcurlDefault
    }

    /// libcurl's built-in CA bundle and directory (`curl-config --ca`, `CURLINFO_CAINFO`, `CURLINFO_CAPATH`).
    public static let libcurlDefault: TrustAnchors = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        var bundle: String?
        var directory: String?
        if let easy = curl_easy_init() {
            var pointer: UnsafeMutableRawPointer?
            if vmsnap_easy_getinfo_pointer(easy, CURLINFO_CAINFO, &pointer) == CURLE_OK, let pointer {
                bundle = String(cString: pointer.assumingMemoryBound(to: CChar.self))
            }
            pointer = nil
            if vmsnap_easy_getinfo_pointer(easy, CURLINFO_CAPATH, &pointer) == CURLE_OK, let pointer {
                directory = String(cString: pointer.assumingMemoryBound(to: CChar.self))
            }
            curl_easy_cleanup(easy)
        }
        if let hashed = directory, isHashed(directory: hashed) { bundle = nil } else { directory = nil }
        return TrustAnchors(bundle: bundle, directory: directory, origin: "libcurl's default")
    }()

    /// Whether `directory` holds at least one `<8 hex digits>.<N>` entry, as `openssl rehash` makes them.
    static func isHashed(directory: String) -> Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.contains { $0.wholeMatch(of: #/[0-9a-f]{8}\.[0-9]+/#) != nil }
    }

    /// `CA bundle /path (from --ca-bundle)`, `CA directory /etc/ssl/certs (from libcurl's default)`.
    public var description: String {
        let parts = [bundle.map { "CA bundle \($0)" }, directory.map { "CA directory \($0)" }].compactMap { $0 }
        return "\(parts.isEmpty ? "no CA certificates" : parts.joined(separator: " and ")) (from \(origin))"
    }
}
