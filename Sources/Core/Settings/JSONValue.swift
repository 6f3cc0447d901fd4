import Foundation

/// A parsed JSON document that keeps integers exact and tells `true` from `1`.
public enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Parses JSON text; the error message says where the text stops being JSON (never quoting it).
    public static func parse(_ data: Data) throws(JSONSyntaxError) -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            let underlying = context.underlyingError.map { "\($0)" } ?? context.debugDescription
            throw JSONSyntaxError(detail: Self.location(in: underlying))
        } catch {
            throw JSONSyntaxError(detail: "not valid JSON")
        }
    }

    /// What kind of value this is, for messages ("a string", "an object", ...).
    public var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// Keeps only the position part of a parser message ("around line 3, column 7"), so no input text leaks.
    private static func location(in message: String) -> String {
        if let range = message.range(of: #"line \d+,? column \d+"#, options: .regularExpression) {
            return "not valid JSON (around \(message[range]))"
        }
        if let range = message.range(of: #"character \d+"#, options: .regularExpression) {
            return "not valid JSON (around \(message[range]))"
        }
        return "not valid JSON"
    }
}

/// Why a text is not JSON; `detail` names the position, never the content.
public struct JSONSyntaxError: Error, Sendable, Equatable {
    public var detail: String
}
