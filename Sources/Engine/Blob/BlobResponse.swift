import Basics
import Foundation

/// One answer from Blob Storage, whatever its HTTP status.
public struct BlobResponse: Sendable {
    /// HTTP status code, e.g. 201.
    public var status: Int
    /// Response headers, names lowercased (the last value wins for repeated names).
    public var headers: [String: String]
    public var body: Data
    /// `x-ms-request-id`: the server's id of this request (support asks for it).
    public var requestID: String?
    /// `x-ms-client-request-id` we sent.
    public var clientRequestID: String
    /// Storage error code: `x-ms-error-code`, else the XML body's `<Code>`.
    public var errorCode: String?
    /// First line of the XML body's `<Message>`, when the answer is an error.
    public var errorMessage: String?
    /// `ETag` without changes (quotes kept, as If-None-Match wants it back).
    public var etag: String?
    /// From handing the request to libcurl to the last byte of the answer.
    public var latency: Duration
    /// Connections libcurl had to open for this request (0: a cached connection was reused).
    public var connectionsOpened: Int
    /// The protocol of the answer: `HTTP/2` when the server offered it by ALPN, else `HTTP/1.1` (or `HTTP/1.0`).
    public var httpVersion: String
    /// libcurl's account of where the time went (DNS, TCP, TLS, first byte).
    public var timing: TransferTiming
    /// For a request that opened a TLS connection: whether its handshake resumed an earlier session.
    public var tlsSessionResumed: Bool?

    public init(
        status: Int, headers: [String: String], body: Data, clientRequestID: String, latency: Duration,
        connectionsOpened: Int = 0, httpVersion: String = "HTTP/1.1", timing: TransferTiming = TransferTiming(),
        tlsSessionResumed: Bool? = nil
    ) {
        self.status = status
        self.timing = timing
        self.tlsSessionResumed = tlsSessionResumed
        self.connectionsOpened = connectionsOpened
        self.httpVersion = httpVersion
        self.headers = headers
        self.body = body
        self.clientRequestID = clientRequestID
        self.latency = latency
        // What the server says about itself goes to logs, screens and status documents: redacted at the source.
        self.requestID = headers["x-ms-request-id"].map(Redactor.redact)
        self.etag = headers["etag"]
        let storageError = status >= 400 ? StorageErrorBody(body) : nil
        self.errorCode = (headers["x-ms-error-code"] ?? storageError?.code).map(Redactor.redact)
        self.errorMessage = storageError?.message.map(Redactor.redact)
    }

    /// Whether the status is 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// Whether the answer came over a connection that carries concurrent requests (HTTP/2 or later).
    public var isMultiplexed: Bool { httpVersion == "HTTP/2" || httpVersion == "HTTP/3" }

    /// A header by case-insensitive name.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// The `<Error><Code>..</Code><Message>..</Message></Error>` body of a storage error.
struct StorageErrorBody: Equatable {
    var code: String?
    var message: String?

    init?(_ body: Data) {
        guard !body.isEmpty else { return nil }
        let text = String(decoding: body, as: UTF8.self)
        code = Self.element("Code", in: text)
        message = Self.element("Message", in: text).map {
            String($0.prefix(while: { $0 != "\n" && $0 != "\r" }))
        }
        if code == nil && message == nil { return nil }
    }

    private static func element(_ name: String, in text: String) -> String? {
        guard let open = text.range(of: "<\(name)>"),
            let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex)
        else { return nil }
        return Self.unescape(String(text[open.upperBound..<close.lowerBound]))
    }

    private static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// Why a request got no HTTP answer at all.
public struct BlobTransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure: decides whether a retry makes sense.
    public enum Kind: Sendable, Equatable {
        /// Connection refused/reset, DNS, TLS, send/receive errors: retryable.
        case network
        /// The request's total or connect timeout passed: retryable while time is left.
        case timeout
        /// The caller's task was cancelled (e.g. the job deadline): not retryable.
        case cancelled
        /// The server's certificate does not verify, libcurl refused the request, or the client is shut down:
        /// not retryable.
        case client
    }

    public var kind: Kind
    /// libcurl's result code (CURLcode), 0 when not from libcurl.
    public var curlCode: Int
    /// Redacted explanation.
    public var message: String
    public var clientRequestID: String

    public init(kind: Kind, curlCode: Int, message: String, clientRequestID: String) {
        self.kind = kind
        self.curlCode = curlCode
        self.message = Redactor.redact(message)
        self.clientRequestID = clientRequestID
    }

    public var description: String { "\(message) (curl \(curlCode), client request id \(clientRequestID))" }
}
