/// An answer before it goes on the wire: status, headers and body.
struct ServiceResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
    /// The `x-ms-error-code`, for the journal.
    var errorCode: String?

    init(status: Int, headers: [(String, String)] = [], body: [UInt8] = [], errorCode: String? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.errorCode = errorCode
    }
}

/// A Blob service error: HTTP status, `x-ms-error-code`, message and, for auth failures, a detail.
struct ServiceError: Error {
    var status: Int
    var code: String
    var message: String
    var detail: String?
    var extraHeaders: [(String, String)] = []

    /// The XML body Azure sends (`<Error><Code>..</Code><Message>..</Message>..</Error>`).
    func xml(requestID: String, time: String) -> String {
        var text = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>\(XML.escape(code))</Code><Message>"
        text += XML.escape("\(message)\nRequestId:\(requestID)\nTime:\(time)") + "</Message>"
        if let detail { text += "<AuthenticationErrorDetail>\(XML.escape(detail))</AuthenticationErrorDetail>" }
        return text + "</Error>"
    }

    static func blobNotFound() -> ServiceError {
        ServiceError(status: 404, code: "BlobNotFound", message: "The specified blob does not exist.")
    }
    static func containerNotFound() -> ServiceError {
        ServiceError(status: 404, code: "ContainerNotFound", message: "The specified container does not exist.")
    }
    /// The emulator's own limit (not Azure's): it builds a response body in memory, so it refuses large ones.
    static func responseTooLarge(_ count: Int) -> ServiceError {
        ServiceError(
            status: 400, code: "EmulatorRangeTooLarge",
            message: "The emulator answers at most \(SparseBytes.largestRead) bytes per Get Blob; \(count) were asked."
                + " Request a range (x-ms-range) of at most that size.")
    }
    static func invalidBlobType() -> ServiceError {
        ServiceError(status: 409, code: "InvalidBlobType", message: "The blob type is invalid for this operation.")
    }
    static func conditionNotMet() -> ServiceError {
        ServiceError(
            status: 412, code: "ConditionNotMet",
            message: "The condition specified using HTTP conditional header(s) is not met.")
    }
    static func invalidHeader(_ name: String, _ value: String?) -> ServiceError {
        ServiceError(
            status: 400, code: "InvalidHeaderValue",
            message: "The value for one of the HTTP headers is not in the correct format.",
            extraHeaders: [("x-ms-invalid-header-name", name)]
                + (value.map { [("x-ms-invalid-header-value", $0)] } ?? []))
    }
    static func missingHeader(_ name: String) -> ServiceError {
        ServiceError(
            status: 400, code: "MissingRequiredHeader",
            message: "An HTTP header that's mandatory for this request is not specified.",
            extraHeaders: [("x-ms-missing-header-name", name)])
    }
    static func invalidQuery(_ name: String) -> ServiceError {
        ServiceError(
            status: 400, code: "InvalidQueryParameterValue",
            message: "Value for one of the query parameters specified in the request URI is invalid.",
            extraHeaders: [("x-ms-invalid-query-parameter-name", name)])
    }
    static func authenticationFailed(_ detail: String) -> ServiceError {
        ServiceError(
            status: 403, code: "AuthenticationFailed",
            message:
                "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
            detail: detail)
    }

    /// The message Azure sends with a well-known error code (used for injected faults).
    static func standardMessage(for code: String) -> String {
        switch code {
        case "ServerBusy": "The server is currently unable to receive requests. Please retry your request."
        case "InternalError": "The server encountered an internal error. Please retry the request."
        case "OperationTimedOut": "The operation could not be completed within the permitted time."
        case "SnapshotCountExceeded": "The snapshot count against this blob has been exceeded."
        case "SnapshotOperationRateExceeded", "SnaphotOperationRateExceeded":
            "The rate of snapshot blob calls is exceeded."
        case "AuthenticationFailed": "Server failed to authenticate the request."
        case "BlobNotFound": "The specified blob does not exist."
        case "ContainerNotFound": "The specified container does not exist."
        default: "Injected fault \(code)."
        }
    }
}

/// Minimal XML text escaping and reading for the few XML bodies the Blob service uses.
enum XML {
    static func escape(_ text: String) -> String {
        guard text.contains(where: { "<>&\"'".contains($0) }) else { return text }
        var out = ""
        for c in text {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }

    static func unescape(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        return text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
