import Foundation
import NIOHTTP1

/// A complete HTTP request as the Blob service sees it: addressed resource, decoded query, headers and body.
struct ServiceRequest {
    var method: String
    /// Path and query exactly as received.
    var uri: String
    /// The path, still percent-encoded (Shared Key signs it this way).
    var rawPath: String
    var account: String
    var container: String?
    var blob: String?
    /// Query parameters in order, names as sent, values percent-decoded.
    var queryPairs: [(name: String, value: String)]
    /// Query parameters by lowercased name (first occurrence wins).
    var query: [String: String]
    var headers: HTTPHeaders
    var body: [UInt8]
    /// The client's IP address, if known.
    var clientAddress: String?

    init(method: String, uri: String, headers: HTTPHeaders, body: [UInt8], clientAddress: String?) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
        self.clientAddress = clientAddress
        let pathEnd = uri.firstIndex(of: "?") ?? uri.endIndex
        rawPath = String(uri[..<pathEnd])
        let rawQuery = pathEnd < uri.endIndex ? uri[uri.index(after: pathEnd)...] : ""
        queryPairs = rawQuery.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), parts.count > 1 ? Self.decode(parts[1]) : "")
        }
        query = [:]
        for pair in queryPairs where query[pair.name.lowercased()] == nil {
            query[pair.name.lowercased()] = pair.value
        }
        let segments = rawPath.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false).dropFirst()
        let decoded = segments.map { Self.decodePath($0) }
        account = decoded.first ?? ""
        container = decoded.count > 1 && !decoded[1].isEmpty ? decoded[1] : nil
        blob = decoded.count > 2 && !decoded[2].isEmpty ? decoded[2] : nil
    }

    /// The first value of a header (case-insensitive name).
    func header(_ name: String) -> String? { headers.first(name: name) }

    /// `x-ms-meta-*` headers as (name, value), names without the prefix, in the order sent.
    var metadata: [MetadataPair] {
        headers.compactMap { name, value in
            guard name.count > 10, name.lowercased().hasPrefix("x-ms-meta-") else { return nil }
            return MetadataPair(name: String(name.dropFirst(10)), value: value)
        }
    }

    /// Percent-decodes a query component (`+` is a space there, as Azure reads queries).
    static func decode(_ text: Substring) -> String {
        guard text.contains(where: { $0 == "%" || $0 == "+" }) else { return String(text) }
        return decodePath(Substring(text.replacingOccurrences(of: "+", with: " ")))
    }

    /// Percent-decodes a path segment (`+` stays `+`).
    static func decodePath(_ text: Substring) -> String {
        guard text.contains("%") else { return String(text) }
        return text.removingPercentEncoding ?? String(text)
    }
}
