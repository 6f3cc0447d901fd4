import Foundation

/// The one place that removes SAS signatures from any text before it is printed, logged, uploaded or shown.
public enum Redactor {
    /// What replaces every `sig` value.
    public static let placeholder = "REDACTED"

    /// Replaces the value of every `sig=` query parameter (plain, `&sig=`, `?sig=`, JSON-escaped `\u0026sig=`,
    /// URL-encoded `%26sig%3D`) with `REDACTED`, case-insensitively.
    public static func redact(_ text: String) -> String {
        guard text.range(of: "sig", options: .caseInsensitive) != nil else { return text }
        var result = text
        for pattern in patterns {
            let range = NSRange(result.startIndex..., in: result)
            result = pattern.stringByReplacingMatches(
                in: result, range: range, withTemplate: "$1\(placeholder)")
        }
        return result
    }

    /// Whether the text still carries a signature value (used by checks and tests).
    public static func containsSignature(_ text: String) -> Bool {
        redact(text) != text
    }

    private static let patterns: [NSRegularExpression] = [
        // `?sig=`, `&sig=`, `\u0026sig=`, `&amp;sig=`: value runs to the next delimiter.
        #"((?:[?&;]|\\u0026)sig=)(?!REDACTED(?:[&"'\s\\<]|$))[^&"'\s\\<>]+"#,
        // URL-encoded inside another query string: `%26sig%3D...`
        #"((?:%26|%3F)sig%3D)(?!REDACTED)[^&"'\s\\<>%]*(?:%(?!26)[0-9A-Fa-f]{2}[^&"'\s\\<>%]*)*"#,
    ].map { try! NSRegularExpression(pattern: $0, options: [.caseInsensitive]) }
}
