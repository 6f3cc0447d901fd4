/// What a host call got back, as the telemetry's hostStatusCodePreSnapshot / hostStatusCodeDoSnapshot report it:
/// the HTTP status, or one of the synthetic codes 555-558.
public struct HostStatusCode: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: Int

    public init(rawValue: Int) { self.rawValue = rawValue }

    /// No HTTP answer: connecting or reading failed or timed out.
    public static let noResponse = HostStatusCode(rawValue: 555)
    /// HTTP 500 whose body does not start `{ "error"`: the WireServer answered, the backup service behind it did not.
    public static let remoteServerError = HostStatusCode(rawValue: 556)
    /// HTTP 200/201 with an empty body.
    public static let emptyBody = HostStatusCode(rawValue: 557)
    /// The request could not be made or the answer could not be read.
    public static let unreadable = HostStatusCode(rawValue: 558)

    /// 200 or 201.
    public var isSuccess: Bool { rawValue == 200 || rawValue == 201 }

    public var description: String { String(rawValue) }

    /// What the code means, for logs, the dashboard and `status --once`.
    public var explanation: String {
        switch self {
        case .noResponse: "no HTTP answer from the WireServer (connect or read failed or timed out)"
        case .remoteServerError: "the WireServer answered 500 but its backup host service is not running"
        case .emptyBody: "the host answered \(200) with an empty body"
        case .unreadable: "the host's answer could not be read"
        default: isSuccess ? "HTTP \(rawValue)" : "the host answered HTTP \(rawValue)"
        }
    }
}
