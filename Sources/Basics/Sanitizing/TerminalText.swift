/// The one sanitiser for text that reaches a terminal or `extension.log`: control characters become visible
/// escapes (`ESC` is shown as `\x1b`, a C1 control such as CSI as `\u{9b}`), so data can never move the cursor,
/// clear the screen, set the window title or the clipboard (OSC 2, OSC 52); bidirectional controls (overrides,
/// embeddings, isolates, marks) are shown the same way, so they cannot reorder what is displayed.
public enum TerminalText {
    /// Which white space survives as itself.
    public enum Layout: Sendable {
        /// Line feeds and tabs are kept (a whole multi-line output); every other control is escaped.
        case lines
        /// Everything is escaped, line feeds and tabs included (one field, one log line).
        case singleLine
    }

    /// `text` with every control and bidirectional control replaced by its visible escape.
    public static func sanitize(_ text: String, layout: Layout = .singleLine) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 >= 0xC2 }),
            text.unicodeScalars.contains(where: { escape($0, layout: layout) != nil })
        else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if let escape = escape(scalar, layout: layout) {
                result.append(contentsOf: escape.unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }

    /// JSON text with every scalar that could drive or reorder a terminal (C1 controls, bidi controls) written as a
    /// `\uXXXX` escape: the same JSON to a parser, inert on a screen. (C0 controls are escaped by every JSON writer
    /// already; these scalars can only stand inside strings, so the escape is always valid there.)
    public static func sanitizeJSON(_ json: String) -> String {
        guard json.utf8.contains(where: { $0 >= 0xC2 }),
            json.unicodeScalars.contains(where: { escape($0, layout: .lines) != nil })
        else { return json }
        var result = String.UnicodeScalarView()
        for scalar in json.unicodeScalars {
            if escape(scalar, layout: .lines) != nil {
                result.append(contentsOf: ("\\u" + hex(scalar.value, digits: 4)).unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }

    /// The visible form of a scalar that must not reach a terminal as itself, nil for any other scalar.
    static func escape(_ scalar: Unicode.Scalar, layout: Layout) -> String? {
        let value = scalar.value
        switch value {
        case 0x0A, 0x09:
            return layout == .lines ? nil : (value == 0x0A ? "\\n" : "\\t")
        case 0x00..<0x20, 0x7F:
            return "\\x" + hex(value, digits: 2)
        case 0x80..<0xA0:
            return "\\u{" + hex(value, digits: 2) + "}"
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069:
            return "\\u{" + hex(value, digits: 4) + "}"
        default:
            return nil
        }
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
