import Foundation

/// The fields of a service SAS, their string-to-sign for each service version, and the signed query string.
public struct SASParameters: Sendable, Equatable {
    /// `sv`.
    public var version: String
    /// `sr`: `b` blob, `c` container, `bs` blob snapshot.
    public var resource: String
    /// `sp`.
    public var permissions: String
    /// `st`, already in its ISO 8601 text form.
    public var start: String?
    /// `se`, already in its ISO 8601 text form.
    public var expiry: String
    /// `sip`: an IPv4 address or range `a-b`.
    public var ipRange: String?
    /// `spr`: `https` or `https,http`.
    public var protocols: String?
    /// `si`.
    public var identifier: String?
    /// `snapshot`.
    public var snapshot: String?
    /// `ses`.
    public var encryptionScope: String?
    /// `rscc rscd rsce rscl rsct`, in that order.
    public var responseHeaders: [String?]

    public init(
        version: String, resource: String, permissions: String, start: String? = nil, expiry: String,
        ipRange: String? = nil, protocols: String? = nil, identifier: String? = nil, snapshot: String? = nil,
        encryptionScope: String? = nil, responseHeaders: [String?] = [nil, nil, nil, nil, nil]
    ) {
        self.version = version
        self.resource = resource
        self.permissions = permissions
        self.start = start
        self.expiry = expiry
        self.ipRange = ipRange
        self.protocols = protocols
        self.identifier = identifier
        self.snapshot = snapshot
        self.encryptionScope = encryptionScope
        self.responseHeaders = responseHeaders
    }

    /// The response-header override query names, in string-to-sign order.
    static let responseHeaderNames = ["rscc", "rscd", "rsce", "rscl", "rsct"]

    /// The canonicalized resource for this version: `/ACCOUNT/C[/B]` before 2015-02-21, `/blob/ACCOUNT/C[/B]` after.
    public func canonicalResource(account: String, container: String, blob: String?) -> String {
        let prefix = version < "2015-02-21" ? "" : "/blob"
        let blobPart = resource == "c" ? "" : blob.map { "/\($0)" } ?? ""
        return "\(prefix)/\(account)/\(container)\(blobPart)"
    }

    /// The string-to-sign of the layout `sv` selects (fields joined by `\n`, absent fields empty).
    public func stringToSign(account: String, container: String, blob: String?) -> String {
        let resourceText = canonicalResource(account: account, container: container, blob: blob)
        var fields = [permissions, start ?? "", expiry, resourceText, identifier ?? ""]
        if version < "2015-02-21" {
            fields.append(version)
            if version < "2013-08-15" { return fields.joined(separator: "\n") }
        } else {
            fields += [ipRange ?? "", protocols ?? "", version]
            if version >= "2018-11-09" { fields += [resource, snapshot ?? ""] }
            if version >= "2020-12-06" { fields.append(encryptionScope ?? "") }
        }
        fields += responseHeaders.map { $0 ?? "" }
        return fields.joined(separator: "\n")
    }

    /// The query string (no leading `?`), values percent-encoded, ending with the signature made with `key`.
    /// Returns nil when `key` is not base64.
    public func signedQuery(account: String, container: String, blob: String?, key: String) -> String? {
        guard let accountKey = AccountKey(base64: key) else { return nil }
        let signature = accountKey.sign(stringToSign(account: account, container: container, blob: blob))
        var pairs: [(String, String?)] = [
            ("sv", version), ("sr", resource), ("sp", permissions), ("st", start), ("se", expiry),
            ("sip", ipRange), ("spr", protocols), ("si", identifier), ("ses", encryptionScope),
        ]
        pairs += zip(Self.responseHeaderNames, responseHeaders).map { ($0, $1) }
        pairs.append(("sig", signature))
        return pairs.compactMap { name, value in value.map { "\(name)=\(Self.percentEncode($0))" } }
            .joined(separator: "&")
    }

    /// Percent-encodes a query value (everything but unreserved characters).
    static func percentEncode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// Formats a date as a SAS time (`2026-11-25T20:05:45Z`).
    public static func format(_ date: Date) -> String {
        Timestamps.iso8601Seconds(Int64(date.timeIntervalSince1970.rounded(.down)))
    }
}
