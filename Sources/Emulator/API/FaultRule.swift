/// A fault the emulator injects into matching requests (nil matchers match anything).
///
/// JSON form (a file or `PUT /_admin/faults` takes an array of these):
/// `{"account": "devstoreaccount1", "container": "vhds", "blob": "disk0", "operation": "snapshot",
///   "action": "failFirst", "count": 2, "status": 503, "code": "ServerBusy"}`;
/// actions: `latency` (`ms`), `error` (`status`, `code`), `failFirst` (`count`, `status`, `code`),
/// `resetConnection`, `neverAnswer`; for the host calls (`operation` `presnapshot` or `dosnapshot`) also `emptyBody`
/// (200 without a body) and `hostServiceDown` (500 from a WireServer whose backup service is not running). A
/// `dosnapshot` rule naming a `blob` fails only that disk's entry (`error` only).
public struct FaultRule: Sendable, Equatable, Codable {
    public var account: String?
    public var container: String?
    public var blob: String?
    public var operation: BlobOperation?
    public var action: FaultAction

    public init(
        account: String? = nil, container: String? = nil, blob: String? = nil, operation: BlobOperation? = nil,
        action: FaultAction
    ) {
        self.account = account
        self.container = container
        self.blob = blob
        self.operation = operation
        self.action = action
    }

    /// Whether the rule applies to a request on this resource.
    func matches(account: String, container: String?, blob: String?, operation: BlobOperation?) -> Bool {
        (self.account == nil || self.account == account) && (self.container == nil || self.container == container)
            && (self.blob == nil || self.blob == blob) && (self.operation == nil || self.operation == operation)
    }

    private enum CodingKeys: String, CodingKey {
        case account, container, blob, operation, action, ms, status, code, count
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        account = try c.decodeIfPresent(String.self, forKey: .account)
        container = try c.decodeIfPresent(String.self, forKey: .container)
        blob = try c.decodeIfPresent(String.self, forKey: .blob)
        operation = try c.decodeIfPresent(BlobOperation.self, forKey: .operation)
        let name = try c.decode(String.self, forKey: .action)
        switch name {
        case "latency": action = .latency(ms: try Self.number(c, .ms, in: Self.latencyRange))
        case "error":
            action = .error(status: try Self.number(c, .status, in: Self.statusRange), code: try Self.code(c))
        case "failFirst":
            action = .failFirst(
                try Self.number(c, .count, in: Self.countRange),
                status: try Self.number(c, .status, in: Self.statusRange),
                code: try Self.code(c))
        case "resetConnection": action = .resetConnection
        case "neverAnswer": action = .neverAnswer
        case "hold": action = .hold
        case "emptyBody": action = .emptyBody
        case "hostServiceDown": action = .hostServiceDown
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .action, in: c,
                debugDescription:
                    "expected one of latency, error, failFirst, resetConnection, neverAnswer, hold, emptyBody, hostServiceDown, got '\(name)'"
            )
        }
        if [.emptyBody, .hostServiceDown].contains(action) && operation?.isHostCall != true {
            throw DecodingError.dataCorruptedError(
                forKey: .operation, in: c,
                debugDescription: "expected operation presnapshot or dosnapshot for the action '\(name)'")
        }
        if blob != nil, operation?.isHostCall == true {
            guard operation == .dosnapshot, case .error = action else {
                throw DecodingError.dataCorruptedError(
                    forKey: .blob, in: c,
                    debugDescription:
                        "expected a blob only on a dosnapshot rule with the action 'error' (it fails that disk's entry)"
                )
            }
        }
    }

    /// What a rule's numbers may be: a latency up to 10 minutes (several add up without overflowing), an HTTP
    /// status a response can carry, a count a test can use.
    static let latencyRange = 0...600_000
    static let statusRange = 100...599
    static let countRange = 0...1_000_000

    private static func number(
        _ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys, in range: ClosedRange<Int>
    ) throws -> Int {
        let value = try c.decode(Int.self, forKey: key)
        guard range.contains(value) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: c,
                debugDescription: "expected \(range.lowerBound) to \(range.upperBound), got \(value)")
        }
        return value
    }

    /// A storage error code: 1 to 128 ASCII letters and digits (it becomes a header value).
    private static func code(_ c: KeyedDecodingContainer<CodingKeys>) throws -> String {
        let code = try c.decode(String.self, forKey: .code)
        guard (1...128).contains(code.count), code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw DecodingError.dataCorruptedError(
                forKey: .code, in: c, debugDescription: "expected 1 to 128 ASCII letters and digits")
        }
        return code
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(account, forKey: .account)
        try c.encodeIfPresent(container, forKey: .container)
        try c.encodeIfPresent(blob, forKey: .blob)
        try c.encodeIfPresent(operation, forKey: .operation)
        switch action {
        case .latency(let ms):
            try c.encode("latency", forKey: .action)
            try c.encode(ms, forKey: .ms)
        case .error(let status, let code):
            try c.encode("error", forKey: .action)
            try c.encode(status, forKey: .status)
            try c.encode(code, forKey: .code)
        case .failFirst(let count, let status, let code):
            try c.encode("failFirst", forKey: .action)
            try c.encode(count, forKey: .count)
            try c.encode(status, forKey: .status)
            try c.encode(code, forKey: .code)
        case .resetConnection: try c.encode("resetConnection", forKey: .action)
        case .neverAnswer: try c.encode("neverAnswer", forKey: .action)
        case .hold: try c.encode("hold", forKey: .action)
        case .emptyBody: try c.encode("emptyBody", forKey: .action)
        case .hostServiceDown: try c.encode("hostServiceDown", forKey: .action)
        }
    }
}

/// What a matching fault rule does to a request.
public enum FaultAction: Sendable, Equatable {
    /// Delay the answer by this many milliseconds, then serve normally.
    case latency(ms: Int)
    /// Answer every matching request with this error.
    case error(status: Int, code: String)
    /// Answer the first `n` matching requests with this error, then serve normally.
    case failFirst(Int, status: Int, code: String)
    /// Reset the TCP connection (RST) instead of answering.
    case resetConnection
    /// Read the request and never answer (the connection stays open until the client gives up).
    case neverAnswer
    /// Serve the request at once but hold its answer until the rules are next replaced (a test's "now go on": a
    /// job stays at a known point for as long as the test needs, however slow the machine).
    case hold
    /// Host calls: answer 200 with an empty body.
    case emptyBody
    /// Host calls: answer 500 with a body that is not the host's `{ "error"` JSON (its backup service is down).
    case hostServiceDown
}
