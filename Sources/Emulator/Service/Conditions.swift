import Foundation

/// `If-Match` / `If-None-Match` evaluation against a blob's ETag.
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

    /// For reads: throws 412 on a failed If-Match; returns true when If-None-Match says "not modified" (304).
    static func checkRead(_ request: ServiceRequest, etag: String?) throws(ServiceError) -> Bool {
        if let ifMatch = request.header("if-match"), !matches(ifMatch, etag: etag) { throw .conditionNotMet() }
        if let ifNoneMatch = request.header("if-none-match"), matches(ifNoneMatch, etag: etag) { return true }
        return false
    }

    /// For writes: 412 on a failed If-Match; If-None-Match `*` on an existing blob is 409 BlobAlreadyExists,
    /// another matching If-None-Match is 412.
    static func checkWrite(_ request: ServiceRequest, etag: String?) throws(ServiceError) {
        if let ifMatch = request.header("if-match"), !matches(ifMatch, etag: etag) { throw .conditionNotMet() }
        if let ifNoneMatch = request.header("if-none-match"), matches(ifNoneMatch, etag: etag) {
            if normalize(ifNoneMatch) == "*" {
                throw ServiceError(
                    status: 409, code: "BlobAlreadyExists", message: "The specified blob already exists.")
            }
            throw .conditionNotMet()
        }
    }

    private static func normalize(_ value: String) -> String {
        var text = Substring(value.trimmingCharacters(in: .whitespaces))
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        return text.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }
}
