import CVMSnapCurses
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Terminal column widths of characters, from wcwidth under a UTF-8 locale (whatever the process locale is).
public enum DisplayWidth {
    /// Read-only after initialisation; `uselocale` makes the switch per thread.
    nonisolated(unsafe) private static let utf8Locale: locale_t? = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil)

    /// Columns a character occupies: 0 (combining, control), 1 or 2 (East Asian wide, emoji).
    public static func of(_ character: Character) -> Int {
        if let ascii = character.asciiValue { return ascii >= 0x20 && ascii < 0x7F ? 1 : 0 }
        guard let first = character.unicodeScalars.first else { return 0 }
        return of(first)
    }

    /// Columns one scalar occupies.
    public static func of(_ scalar: Unicode.Scalar) -> Int {
        if scalar.isASCII { return scalar.value >= 0x20 && scalar.value < 0x7F ? 1 : 0 }
        guard let utf8Locale else { return 1 }
        let previous = uselocale(utf8Locale)
        let width = vmsnap_wcwidth(wchar_t(bitPattern: scalar.value))
        uselocale(previous)
        return max(0, Int(width))
    }

    /// Columns a string occupies.
    public static func of(_ text: some StringProtocol) -> Int {
        text.reduce(0) { $0 + of($1) }
    }

    /// The string cut to at most `columns`, ending in `ellipsis` when it was cut.
    public static func fitted(_ text: String, columns: Int, ellipsis: Character = "…") -> String {
        guard columns > 0 else { return "" }
        if text.utf8.count <= columns, text.allSatisfy({ $0.isASCII }) { return text }
        var used = 0
        var result = ""
        let ellipsisWidth = of(ellipsis)
        let total = of(text)
        if total <= columns { return text }
        for character in text {
            let w = of(character)
            if used + w + ellipsisWidth > columns { break }
            result.append(character)
            used += w
        }
        result.append(ellipsis)
        return result
    }

    /// `text` cut in the middle to fit `columns` (`datadi…lun2.vhd`), so names that differ at the end stay apart.
    public static func middleFitted(_ text: String, columns: Int, ellipsis: Character = "…") -> String {
        guard of(text) > columns else { return text }
        guard columns > 2 else { return fitted(text, columns: columns, ellipsis: ellipsis) }
        let characters = Array(text)
        let budget = columns - of(ellipsis)
        var headWidth = 0
        var head = 0
        while head < characters.count, headWidth + of(characters[head]) <= (budget + 1) / 2 {
            headWidth += of(characters[head])
            head += 1
        }
        var tailWidth = 0
        var tail = characters.count
        while tail > head, tailWidth + of(characters[tail - 1]) <= budget - headWidth {
            tailWidth += of(characters[tail - 1])
            tail -= 1
        }
        return String(characters[..<head]) + String(ellipsis) + String(characters[tail...])
    }
}
