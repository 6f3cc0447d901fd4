import Basics
import Foundation

/// The two calls of the host path (`presnapshot`, `dosnapshot`), POSTed as JSON to the WireServer: plain HTTP by
/// default, never through a proxy, a new connection per call, one attempt, 40 s at most.
public struct WireServerClient: Sendable {
    /// The WireServer's fixed address.
    public static let defaultAddress = "http://168.63.129.16"
    /// The longest one call may take.
    public static let callTimeout = Duration.seconds(40)

    /// The two host calls.
    public enum Call: String, Sendable {
        case presnapshot, dosnapshot
    }

    /// What one call got: its status code (HTTP or synthetic) and the body of a 200/201.
    public struct Answer: Sendable {
        public var code: HostStatusCode
        public var body: Data
        /// Why the call got no HTTP answer, when it did not.
        public var failure: String?
    }

    /// `http://HOST[:PORT]` (no trailing slash).
    public let address: String
    private let client: BlobClient

    public init(address: String) {
        self.address = address.hasSuffix("/") ? String(address.dropLast()) : address
        client = BlobClient(
            configuration: BlobClient.Configuration(
                connectTimeout: Self.callTimeout, requestTimeout: Self.callTimeout, userAgent: "",
                proxy: ProxySettings(proxy: nil, noProxy: "*")))
    }

    /// The URL of a call.
    public func url(_ call: Call) -> String {
        "\(address)/metadata/recsvc/snapshot/\(call.rawValue)?api-version=2017-12-01"
    }

    /// POSTs `body`; never throws: no answer is 555, a 500 from a WireServer whose backup service is down 556, an
    /// empty success 557.
    func post(_ call: Call, body: String, timeout: Duration) async -> Answer {
        let request = BlobRequest(
            method: .post, url: url(call),
            headers: [
                "Accept-Encoding: identity", "Backup: true", "Content-type: application/json",
                "UserAgent: VMSnapshot", "User-Agent:",
            ],
            body: Data(body.utf8), timeout: min(timeout, Self.callTimeout), freshConnection: true)
        let response: BlobResponse
        do throws(BlobTransportError) {
            response = try await client.perform(request)
        } catch {
            return Answer(code: error.kind == .client ? .unreadable : .noResponse, body: Data(), failure: error.message)
        }
        let status = response.status
        if status == 200 || status == 201 {
            return Answer(
                code: response.body.isEmpty ? .emptyBody : HostStatusCode(rawValue: status), body: response.body)
        }
        if status == 500 && call == .dosnapshot && !response.body.starts(with: Data(#"{ "error""#.utf8)) {
            return Answer(code: .remoteServerError, body: response.body)
        }
        return Answer(code: HostStatusCode(rawValue: status), body: response.body)
    }
}
