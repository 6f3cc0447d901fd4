import Foundation

/// Decodes an `objectStr` value into its JSON object, whichever way the service wrote it.
///
/// Accepted: base64 of a JSON object; raw JSON text; the seed's un-encoded fragment
/// `"blobSASUri": ["https:\/\/..."]` (a member list without braces, JSON-escaped slashes allowed);
/// and, in hand-written settings, an object given directly.
enum ObjectString {
    static let expectation =
        "base64 of a JSON object, JSON object text, or a `\"blobSASUri\": [...]` fragment"

    /// The decoded object as a node whose path says how it was reached (`...objectStr<base64>`).
    static func decode(_ node: JSONNode) throws(SettingsError) -> JSONNode {
        switch node.value {
        case .object:
            return node
        case .string(let text):
            let trimmed = text.trimming()
            if trimmed.isEmpty { return JSONNode(.object([:]), file: node.file, path: node.path) }
            if let decoded = parseObject(trimmed, node: node, suffix: "<json>") { return decoded }
            if let data = Base64.decode(trimmed), let inner = String(data: data, encoding: .utf8),
                let decoded = parseObject(
                    inner.trimming(), node: node,
                    suffix: "<base64>")
            {
                return decoded
            }
            throw node.error(expected: expectation, found: "a string that is none of these")
        default:
            throw node.error(expected: expectation, found: node.value.kindDescription)
        }
    }

    private static func parseObject(_ text: String, node: JSONNode, suffix: String) -> JSONNode? {
        let candidates = text.hasPrefix("\"") ? ["{" + text + "}"] : text.hasPrefix("{") ? [text] : []
        for candidate in candidates {
            if let value = try? JSONValue.parse(Data(candidate.utf8)), case .object = value {
                return JSONNode(value, file: node.file, path: node.path + suffix)
            }
        }
        return nil
    }
}

/// Lenient base64: whitespace ignored, padding optional, URL-safe alphabet accepted.
enum Base64 {
    static func decode(_ text: String) -> Data? {
        var cleaned: [UInt8] = []
        cleaned.reserveCapacity(text.utf8.count + 3)
        for scalar in text.unicodeScalars where !scalar.properties.isWhitespace {
            switch scalar {
            case "-": cleaned.append(UInt8(ascii: "+"))
            case "_": cleaned.append(UInt8(ascii: "/"))
            case _ where scalar.isASCII: cleaned.append(UInt8(scalar.value))
            default: return nil
            }
        }
        guard !cleaned.isEmpty else { return nil }
        let remainder = cleaned.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { cleaned += repeatElement(UInt8(ascii: "="), count: 4 - remainder) }
        return Data(base64Encoded: Data(cleaned))
    }
}
