import Basics
import Foundation

/// A JSON document written as the peer writes a host call's body: keys in the given order, separators `", "` and
/// `": "`, ASCII only (other characters escaped `\uXXXX`).
indirect enum HostJSON: Sendable {
    case object([(String, HostJSON)])
    case array([HostJSON])
    case string(String)
    case integer(Int)
    case decimal(Double)
    case bool(Bool)
    case null
    /// A value from the settings, passed through unchanged (object keys sorted).
    case value(JSONValue)

    /// `[{"Key": k, "Value": v}, ...]`.
    static func keyValueList(_ pairs: [(String, HostJSON)]) -> HostJSON {
        .array(pairs.map { .object([("Key", .string($0.0)), ("Value", $0.1)]) })
    }

    /// The serialised text.
    var text: String {
        switch self {
        case .object(let members):
            "{" + members.map { Self.quoted($0.0) + ": " + $0.1.text }.joined(separator: ", ") + "}"
        case .array(let items): "[" + items.map(\.text).joined(separator: ", ") + "]"
        case .string(let string): Self.quoted(string)
        case .integer(let number): String(number)
        case .decimal(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .null: "null"
        case .value(let value): Self.converted(value).text
        }
    }

    private static func converted(_ value: JSONValue) -> HostJSON {
        switch value {
        case .null: .null
        case .bool(let flag): .bool(flag)
        case .integer(let number): .integer(Int(clamping: number))
        case .number(let number): .decimal(number)
        case .string(let text): .string(text)
        case .array(let items): .array(items.map(converted))
        case .object(let members): .object(members.sorted { $0.key < $1.key }.map { ($0.key, converted($0.value)) })
        }
    }

    /// A JSON string literal, non-ASCII and control characters escaped.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for unit in text.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(unit)!)
            default: out += String(format: "\\u%04x", unit)
            }
        }
        return out + "\""
    }
}
