import Foundation

/// A blob URI carrying a service SAS, parsed without ever decoding or re-encoding its query string.
///
/// Both host styles are understood: `https://ACCOUNT.blob.core.windows.net/CONTAINER/BLOB` and the emulator's
/// path style `http://127.0.0.1:PORT/ACCOUNT/CONTAINER/BLOB` (IP address or localhost host).
public struct SASBlobURI: Sendable, Hashable, CustomStringConvertible {
    /// The URI exactly as given. Secret: never print it, use `redacted`.
    public let original: String
    public let scheme: String
    public let host: String
    public let port: Int?
    public let account: String
    public let container: String
    /// Blob name, still percent-encoded as in the URI path.
    public let blob: String
    /// The query string exactly as given, without the leading `?`. Secret.
    public let query: String
    /// Query parameters, values percent-decoded (for checks only; requests use `query`).
    public let parameters: [String: String]
    /// `st`, the start of the validity window (parsed once, here).
    public let start: Date?
    /// `se`, the expiry (parsed once, here).
    public let expiry: Date?

    /// Parses a SAS blob URI; the error names what is wrong (never the signature).
    public init(_ text: String) throws(SASURIError) {
        // Every signature in the text is a secret from now on, wherever it stands and whatever becomes of the URI.
        KnownSecrets.rememberSignatures(in: text)
        let trimmed = text.trimming(.whitespaces)
        guard let schemeEnd = trimmed.range(of: "://") else { throw .notAURI(length: trimmed.count) }
        let scheme = trimmed[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "https" || scheme == "http" else {
            throw .unsupportedScheme(SASPolicy.quoted(scheme, allowed: { $0.isASCII && $0.isLetter }, longest: 16))
        }
        let rest = trimmed[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = String(rest[..<authorityEnd])
        let pathAndQuery = rest[authorityEnd...]
        let path: Substring
        let query: String
        if let q = pathAndQuery.firstIndex(of: "?") {
            path = pathAndQuery[..<q]
            query = String(pathAndQuery[pathAndQuery.index(after: q)...])
        } else {
            path = pathAndQuery
            query = ""
        }
        var host = authority
        var port: Int?
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            host = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else {
                // Only the host: user information before `@` may be a password.
                throw .badPort(String(authority.split(separator: "@").last ?? ""))
            }
            port = p
        }
        let withoutQuery = Redactor.redact(String(trimmed[..<(trimmed.firstIndex(of: "?") ?? trimmed.endIndex)]))
        guard !host.isEmpty else { throw .notAURI(length: trimmed.count) }
        var segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        let account: String
        if Self.isPathStyle(host: host) {
            guard let first = segments.first, !first.isEmpty else { throw .missingAccount(withoutQuery) }
            // `/CONTAINER/BLOB` alone: the account-in-the-host form, on a host that has no account name in it.
            guard segments.count != 2 || segments[1].isEmpty else {
                throw .notPathStyle(host: host, uri: withoutQuery)
            }
            account = first
            segments.removeFirst()
        } else if Self.isLoopbackName(host) {
            throw .notPathStyle(host: host, uri: withoutQuery)
        } else {
            account = String(host.prefix(while: { $0 != "." }))
        }
        guard segments.count >= 2, !segments[0].isEmpty, !segments.dropFirst().joined(separator: "/").isEmpty else {
            throw .missingContainerOrBlob(withoutQuery)
        }
        self.original = trimmed
        self.scheme = scheme
        self.host = host.lowercased()
        self.port = port
        self.account = account
        self.container = segments[0]
        self.blob = segments.dropFirst().joined(separator: "/")
        self.query = query
        let parameters = Self.parseQuery(query)
        self.parameters = parameters
        start = parameters["st"].flatMap(Self.parseSASDate)
        expiry = parameters["se"].flatMap(Self.parseSASDate)
    }

    /// The brackets around an IPv6 literal.
    private static let brackets = CharacterSet(charactersIn: "[]")

    /// Whether the host is an IP address or localhost, where the first path segment names the account.
    public static func isPathStyle(host: String) -> Bool {
        let h = host.lowercased().trimming(Self.brackets)
        if h == "localhost" { return true }
        if h.contains(":") { return true }  // IPv6 literal
        let parts = h.split(separator: ".")
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }

    /// A loopback host that is not one of the path-style forms (e.g. `127.1`, `localhost.localdomain`).
    private static func isLoopbackName(_ host: String) -> Bool {
        let h = host.lowercased()
        return h.hasPrefix("127.") || h.hasPrefix("localhost.") || h.hasSuffix(".localhost")
    }

    /// Whether the host is a loopback address (plain http is allowed only there).
    public var isLoopback: Bool {
        let h = host.trimming(Self.brackets)
        return h == "localhost" || h == "::1" || h.hasPrefix("127.")
    }

    /// `scheme://host[:port]`.
    public var origin: String { "\(scheme)://\(host)\(port.map { ":\($0)" } ?? "")" }

    /// The blob's URI without any query, redacted (a signature can stand in the path too): safe to print and to
    /// report as `blobUri`.
    public var blobURI: String { Redactor.redact(unsignedRequestURI) }

    /// The blob's URI without any query, exactly as given: for requests only (never print it).
    public var unsignedRequestURI: String {
        let accountPrefix = Self.isPathStyle(host: host) ? "/\(account)" : ""
        return "\(origin)\(accountPrefix)/\(container)/\(blob)"
    }

    /// The URI with the signature replaced by `REDACTED`.
    public var redacted: String { Redactor.redact(original) }

    public var description: String { redacted }

    /// The request URI for an operation: the query byte-for-byte as given, then `&extra` (e.g. `comp=snapshot`).
    public func requestURI(appending extra: String? = nil) -> String {
        var uri = unsignedRequestURI
        let parts = [query, extra ?? ""].filter { !$0.isEmpty }
        if !parts.isEmpty { uri += "?" + parts.joined(separator: "&") }
        return uri
    }

    /// `sv`, the SAS service version.
    public var version: String? { parameters["sv"] }
    /// `sp`, the permission letters.
    public var permissions: String? { parameters["sp"] }

    /// Parses an ISO 8601 SAS time (`2017-11-09T14:23:28Z`, fractional seconds, a `+hh:mm` offset or date only
    /// accepted; a time without a zone is not). No formatter: Foundation's ISO 8601 formatters and format styles
    /// build a calendar in the current time zone, which loads ICU's zone data (about 5 MB resident) into every
    /// process that parses settings, the dashboard included.
    public static func parseSASDate(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        if bytes.count == 10 { return ISO8601Timestamp.parse(text + "T00:00:00Z") }
        let zoned =
            bytes.last == UInt8(ascii: "Z")
            || (bytes.count > 6 && [UInt8(ascii: "+"), UInt8(ascii: "-")].contains(bytes[bytes.count - 6]))
        return zoned ? ISO8601Timestamp.parse(text) : nil
    }

    private static func parseQuery(_ query: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(kv[0]).lowercased()
            let raw = kv.count > 1 ? String(kv[1]) : ""
            result[key] = raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? raw
        }
        return result
    }
}

/// Why a text is not a usable SAS blob URI. Messages never carry the signature, nor any query or text that is not
/// a URI (it may be a signature).
public enum SASURIError: Error, Sendable, Equatable, CustomStringConvertible {
    case notAURI(length: Int)
    case unsupportedScheme(String)
    case badPort(String)
    case missingAccount(String)
    case missingContainerOrBlob(String)
    /// A loopback URI without the emulators' path style (`http://127.0.0.1:PORT/ACCOUNT/CONTAINER/BLOB`).
    case notPathStyle(host: String, uri: String)

    public var description: String {
        switch self {
        case .notAURI(let length): "not a URI (\(length) characters, not shown)"
        case .unsupportedScheme(let s): "scheme \(s) is not supported, expected https (or http on loopback)"
        case .badPort(let s): "bad port in '\(s)'"
        case .missingAccount(let s): "no storage account in the path of '\(s)'"
        case .missingContainerOrBlob(let s): "'\(s)', whose path has no /CONTAINER/BLOB"
        case .notPathStyle(let host, let uri):
            "'\(uri)', a URI on the local host \(host) that is not path-style: on 127.0.0.1, ::1 or localhost the "
                + "path names the account first (http://127.0.0.1:PORT/ACCOUNT/CONTAINER/BLOB)"
        }
    }
}
