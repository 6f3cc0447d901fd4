import Foundation

/// Hostile values found by fuzzing, and real documents carrying them, for the tests that keep them harmless.
public enum HostileInputs {
    /// `timestampUTC` values whose milliseconds are no moment at all (a Double far beyond any date, or NaN).
    public static let timestamps = [#"\/Date(1e30)\/"#, #"\/Date(1e400)\/"#, #"\/Date(NaN)\/"#, #"\/Date(-1e30)\/"#]

    /// Text that would act on a terminal if printed raw: OSC 52 (write the clipboard), OSC 2 (set the window title),
    /// CSI (clear the screen, move the cursor), C1 CSI, and bidi overrides and isolates that reorder what is shown.
    public static let terminalPayloads = [
        "\u{1B}]52;c;aGFja2Vk\u{07}", "\u{1B}]2;pwned-title\u{1B}\\", "\u{1B}[2J\u{1B}[H", "\u{9B}31m",
        "abc\u{202E}txt.exe", "\u{2066}isolated\u{2069}", "bell\u{07}\r\u{7F}",
    ]

    /// The peer's captured status blob with `timestampUTC` replaced (the value is inserted as raw JSON string text).
    public static func peerStatusBlob(timestamp: String) throws -> Data {
        try replacing(#"\/Date(1795576026799)\/"#, with: timestamp)
    }

    /// The peer's captured status blob with one telemetry value (e.g. `FreezeTime`) replaced.
    public static func peerStatusBlob(telemetry key: String, value: String) throws -> Data {
        let original = try String(
            decoding: StatusDocumentFixtures.data(StatusDocumentFixtures.peerStatusBlob), as: UTF8.self)
        let pattern = try Regex(#"\{"Value": "[^"]*", "Key": "\#(key)"\}"#)
        return Data(original.replacing(pattern, with: #"{"Value": "\#(value)", "Key": "\#(key)"}"#).utf8)
    }

    /// JSON string text (without quotes) for `text`: every control escaped as `\u00XX`.
    public static func jsonStringBody(_ text: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed])
        return String(String(decoding: data, as: UTF8.self).dropFirst(2).dropLast(2))
    }

    /// Whether text still carries something that acts on a terminal: an ESC, a C1 control, BEL, CR, DEL or a bidi
    /// control.
    public static func actsOnTerminal(_ text: String) -> Bool {
        text.unicodeScalars.contains { scalar in
            switch scalar.value {
            case 0x07, 0x0D, 0x1B, 0x7F, 0x80..<0xA0, 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
            default: false
            }
        }
    }

    private static func replacing(_ old: String, with new: String) throws -> Data {
        let original = try String(
            decoding: StatusDocumentFixtures.data(StatusDocumentFixtures.peerStatusBlob), as: UTF8.self)
        precondition(original.contains(old), "the fixture no longer holds \(old)")
        return Data(original.replacingOccurrences(of: old, with: new).utf8)
    }
}
