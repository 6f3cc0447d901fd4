import Foundation

/// `If-Match` / `If-None-Match` / `If-Modified-Since` / `If-Unmodified-Since` evaluation against a blob.
enum Conditions {
    /// Whether a header's ETag list names `etag` (`*` matches any existing blob).
    static func matches(_ header: String, etag: String?) -> Bool {
        guard let etag else { return false }
        let bare = normalize(etag)
        return header.split(separator: ",").contains { candidate in
            let value = normalize(String(candidate))
            return value == "*" || value == bare
        }
    }

    /// For reads: throws 412 on a failed If-Match / If-Unmodified-Since; returns true when If-None-Match or
    /// If-Modified-Since says "not modified" (304).
    static func checkRead(_ request: ServiceRequest, _ version: BlobVersion) throws(ServiceError) -> Bool {
        if let ifMatch = request.header("if-match"), !matches(ifMatch, etag: version.etag) { throw .conditionNotMet() }
        if let since = date(request, "if-unmodified-since"), version.lastModified > since { throw .conditionNotMet() }
        if let ifNoneMatch = request.header("if-none-match") { return matches(ifNoneMatch, etag: version.etag) }
        if let since = date(request, "if-modified-since") { return version.lastModified <= since }
        return false
    }

    /// For writes: 412 on a failed If-Match; If-None-Match `*` on an existing blob is 409 BlobAlreadyExists,
    /// another matching If-None-Match is 412.
    /// Date conditions that fail are 412 as well.
    static func checkWrite(_ request: ServiceRequest, _ version: BlobVersion?) throws(ServiceError) {
        let etag = version?.etag
        if let ifMatch = request.header("if-match"), !matches(ifMatch, etag: etag) { throw .conditionNotMet() }
        if let version {
            if let since = date(request, "if-unmodified-since"), version.lastModified > since {
                throw .conditionNotMet()
            }
            if let since = date(request, "if-modified-since"), version.lastModified <= since {
                throw .conditionNotMet()
            }
        }
        if let ifNoneMatch = request.header("if-none-match"), matches(ifNoneMatch, etag: etag) {
            if normalize(ifNoneMatch) == "*" {
                throw ServiceError(
                    status: 409, code: "BlobAlreadyExists", message: "The specified blob already exists.")
            }
            throw .conditionNotMet()
        }
    }

    /// An HTTP-date header as seconds since 1970 (unparseable dates are ignored, as HTTP says).
    private static func date(_ request: ServiceRequest, _ name: String) -> Int64? {
        request.header(name).flatMap(Timestamps.parseHTTPDate)
    }

    private static func normalize(_ value: String) -> String {
        var text = Substring(value.trimmingCharacters(in: .whitespaces))
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        return text.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }
}
