import Foundation

/// The one place that removes SAS signatures from any text before it is printed, logged, uploaded or shown.
///
/// A hand-written scanner over Unicode scalars (no regular expression engine: NSRegularExpression pulled ICU's
/// regex and case-folding data, about 2.5 MB, into every process that redacts, the dashboard included).
public enum Redactor {
    /// What replaces every `sig` value.
    public static let placeholder = "REDACTED"

    /// Replaces every secret `KnownSecrets` holds, wherever and however encoded it appears, and the value of every
    /// `sig=` query parameter (plain, `&sig=`, `?sig=`, JSON-escaped `\u0026sig=`, URL-encoded `%26sig%3D`), with
    /// `REDACTED`, case-insensitively.
    public static func redact(_ text: String) -> String {
        let text = maskingKnownSecrets(text)
        let scalars = Array(text.unicodeScalars)
        guard scalars.indices.contains(where: { matches(scalars, at: $0, "sig") }) else { return text }
        let encoded = replacingValues(in: replacingValues(in: scalars, plainValue), encodedValue)
        var result = String.UnicodeScalarView()
        result.append(contentsOf: encoded)
        return String(result)
    }

    /// Whether the text still carries a signature value (used by checks and tests).
    public static func containsSignature(_ text: String) -> Bool {
        redact(text) != text
    }

    private static let placeholderScalars = Array(placeholder.unicodeScalars)

    /// The text with every known secret (by value) replaced by `REDACTED`.
    private static func maskingKnownSecrets(_ text: String) -> String {
        guard !KnownSecrets.isEmpty else { return text }
        let bytes = Array(text.utf8)
        let ranges = KnownSecrets.matches(in: bytes)
        guard !ranges.isEmpty else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var position = 0
        for range in ranges {
            out += bytes[position..<range.lowerBound]
            out += placeholder.utf8
            position = range.upperBound
        }
        out += bytes[position...]
        return String(decoding: out, as: UTF8.self)
    }

    /// Copies `s`, replacing every value that `value` finds (given the text and a position, the range of a
    /// signature value whose prefix starts there) with `REDACTED`.
    private static func replacingValues(
        in s: [Unicode.Scalar], _ value: ([Unicode.Scalar], Int) -> Range<Int>?
    ) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            if let range = value(s, i) {
                out.append(contentsOf: s[i..<range.lowerBound])
                out.append(contentsOf: placeholderScalars)
                i = range.upperBound
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return out
    }

    /// `sig=` opening the text or after a non-name character (`?sig=`, `&sig=`, `;sig=` as in `&amp;sig=`, ` sig=`),
    /// and `\u0026sig=`: the value (at least one character) runs to the next `&`, quote, white space, backslash,
    /// `<` or `>`; a value that already is `REDACTED` is left alone.
    private static func plainValue(_ s: [Unicode.Scalar], at i: Int) -> Range<Int>? {
        guard let start = plainPrefixEnd(s, at: i), !alreadyRedacted(s, at: start, plain: true) else { return nil }
        var end = start
        while end < s.count, !isPlainStop(s[end]) { end += 1 }
        return end > start ? start..<end : nil
    }

    /// `%26sig%3D` or `%3Fsig%3D` inside another query string: the value runs over characters that are not
    /// delimiters or `%`, and over `%XX` escapes other than `%26` (an encoded `&` ends it).
    private static func encodedValue(_ s: [Unicode.Scalar], at i: Int) -> Range<Int>? {
        guard let start = encodedPrefixEnd(s, at: i), !alreadyRedacted(s, at: start, plain: false) else { return nil }
        var end = start
        while true {
            while end < s.count, !isPlainStop(s[end]), s[end] != "%" { end += 1 }
            guard end + 2 < s.count, s[end] == "%", !(s[end + 1] == "2" && s[end + 2] == "6"),
                isHexDigit(s[end + 1]), isHexDigit(s[end + 2])
            else { break }
            end += 3
        }
        return start..<end
    }

    /// Where the value starts when a plain prefix begins at `i`: `sig=` at the start of the text, or after any
    /// character that cannot be part of a parameter name (`?`, `&`, `;`, white space, a quote, ...), or after
    /// `\u0026`.
    private static func plainPrefixEnd(_ s: [Unicode.Scalar], at i: Int) -> Int? {
        if i == 0, matches(s, at: 0, "sig=") { return 4 }
        let afterDelimiter: Int
        switch s[i] {
        case "\\" where matches(s, at: i + 1, "u0026"): afterDelimiter = i + 6
        case let scalar where !isNameCharacter(scalar): afterDelimiter = i + 1
        default: return nil
        }
        return matches(s, at: afterDelimiter, "sig=") ? afterDelimiter + 4 : nil
    }

    /// A character that can be part of a query parameter's name (so `design=` is no `sig=`).
    private static func isNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".", "%", "\u{17F}": true
        default: false
        }
    }

    /// Where the value starts when `%26sig%3D` or `%3Fsig%3D` begins at `i`.
    private static func encodedPrefixEnd(_ s: [Unicode.Scalar], at i: Int) -> Int? {
        guard matches(s, at: i, "%26sig%3d") || matches(s, at: i, "%3fsig%3d") else { return nil }
        return i + 9
    }

    /// `REDACTED` at `i` (plain form: followed by a delimiter or the end, as a value of its own).
    private static func alreadyRedacted(_ s: [Unicode.Scalar], at i: Int, plain: Bool) -> Bool {
        guard matches(s, at: i, "redacted") else { return false }
        guard plain else { return true }
        let next = i + placeholderScalars.count
        return next == s.count || (isPlainStop(s[next]) && s[next] != ">")
    }

    /// Whether `word` (lowercase ASCII) is at `i`, ignoring case (`ſ` counts as `s`, as case folding has it).
    private static func matches(_ s: [Unicode.Scalar], at i: Int, _ word: StaticString) -> Bool {
        guard i >= 0, i + word.utf8CodeUnitCount <= s.count else { return false }
        var position = i
        for byte in UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount) {
            let scalar = s[position].value
            let folded = (0x41...0x5A).contains(scalar) ? scalar + 0x20 : scalar == 0x17F ? 0x73 : scalar
            guard folded == UInt32(byte) else { return false }
            position += 1
        }
        return true
    }

    /// A character that ends a signature value: `&`, `"`, `'`, white space (Unicode White_Space), `\`, `<`, `>`.
    private static func isPlainStop(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "&", "\"", "'", "\\", "<", ">": true
        default: scalar.properties.isWhitespace
        }
    }

    private static func isHexDigit(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "0"..."9", "a"..."f", "A"..."F": true
        default: false
        }
    }
}
