/// The `status` word of a status document, as the guest agent reads it: anything but the four known words is
/// reported by the agent as an error.
public enum StatusWord: Hashable, Sendable, CustomStringConvertible {
    case transitioning, success, error, warning
    /// A word the agent does not know (kept as written, lowercased).
    case unknown(String)

    /// Parses a word case-insensitively.
    public init(_ text: String) {
        switch text.lowercased() {
        case "transitioning": self = .transitioning
        case "success": self = .success
        case "error": self = .error
        case "warning": self = .warning
        case let other: self = .unknown(other)
        }
    }

    /// The word as written to documents.
    public var description: String {
        switch self {
        case .transitioning: "transitioning"
        case .success: "success"
        case .error: "error"
        case .warning: "warning"
        case .unknown(let word): word
        }
    }

    /// Whether this word ends a job (everything but `transitioning`).
    public var isTerminal: Bool { self != .transitioning }
}

extension StatusWord: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension StatusWord: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self.init(value) }
}
