import Core
import Foundation

/// What every view needs besides the model: the time, the glyph set, the time zone, the error catalog.
public struct RenderContext: Sendable {
    public var now: Date
    public var glyphs: Glyphs
    public var zone: ClockZone
    /// Looks up a code (result code, health code, service or storage code) in the error catalog.
    public var explain: @Sendable (String) -> CodeExplanation?

    public init(
        now: Date, glyphs: Glyphs = .unicode, zone: ClockZone = .local,
        explain: @escaping @Sendable (String) -> CodeExplanation? = { _ in nil }
    ) {
        self.now = now
        self.glyphs = glyphs
        self.zone = zone
        self.explain = explain
    }

    /// HH:mm:ss in the context's time zone.
    public func clock(_ date: Date) -> String { SourceFreshness.clock(date, zone: zone) }

    /// `13:51:23 UTC`, or `2026-11-22 01:00:00 UTC` when it is not today: the time with its zone's label, as every
    /// screen time is shown.
    public func stamp(_ date: Date) -> String {
        let day = StatusReport.dateTime(date, zone: zone)
        return StatusReport.dateTime(now, zone: zone).prefix(10) == day.prefix(10) ? String(day.dropFirst(11)) : day
    }

    /// `value` rounded to `digits` decimals, without `String(format:)` (which loads Foundation's formatting).
    public static func fixed(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return "-" }
        let scale = [1.0, 10, 100, 1000][min(max(0, digits), 3)]
        // Beyond 1e15 the decimals are noise (and the scaled value would not fit an Int).
        guard abs(value) * scale < 1e15 else { return String(value) }
        let scaled = Int((abs(value) * scale).rounded())
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard digits > 0 else { return sign + String(scaled) }
        let fraction = String(scaled % Int(scale))
        return sign + String(scaled / Int(scale)) + "." + String(repeating: "0", count: digits - fraction.count)
            + fraction
    }

    /// "0.41 s", "12 s", "3 min".
    public static func duration(_ seconds: Double) -> String {
        if seconds < 10 { return fixed(seconds, digits: 2) + " s" }
        if seconds < 120 { return fixed(seconds, digits: 0) + " s" }
        return SourceFreshness.age(seconds)
    }
}

/// A rectangle of the grid a view draws into.
public struct Rect: Sendable, Equatable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var bottom: Int { y + height }
}

extension CellGrid {
    /// Puts text fitted into `width` columns with the context's ellipsis; returns the columns used.
    @discardableResult
    mutating func putFitted(
        _ text: String, x: Int, y: Int, width: Int, style: CellStyle = .plain, glyphs: Glyphs
    ) -> Int {
        put(
            DisplayWidth.fitted(text, columns: width, ellipsis: glyphs.ellipsis), x: x, y: y, style: style, limit: width
        )
    }

    /// Puts segments one after another on a row, clipped at `right`; returns the column after the last.
    @discardableResult
    mutating func putSegments(_ segments: [(String, CellStyle)], x: Int, y: Int, right: Int) -> Int {
        var column = x
        for (text, style) in segments where column < right {
            column += put(text, x: column, y: y, style: style, limit: right - column)
        }
        return column
    }

    /// Draws a box border around a rectangle and clears its inside.
    mutating func box(_ rect: Rect, title: String, glyphs: Glyphs, style: CellStyle = .accent) {
        fill(x: rect.x, y: rect.y, width: rect.width, height: rect.height)
        guard rect.width >= 2, rect.height >= 2 else { return }
        hline(glyphs.horizontal, x: rect.x + 1, y: rect.y, width: rect.width - 2, style: style)
        hline(glyphs.horizontal, x: rect.x + 1, y: rect.bottom - 1, width: rect.width - 2, style: style)
        for row in rect.y..<rect.bottom {
            put(String(glyphs.vertical), x: rect.x, y: row, style: style)
            put(String(glyphs.vertical), x: rect.x + rect.width - 1, y: row, style: style)
        }
        put(String(glyphs.topLeft), x: rect.x, y: rect.y, style: style)
        put(String(glyphs.topRight), x: rect.x + rect.width - 1, y: rect.y, style: style)
        put(String(glyphs.bottomLeft), x: rect.x, y: rect.bottom - 1, style: style)
        put(String(glyphs.bottomRight), x: rect.x + rect.width - 1, y: rect.bottom - 1, style: style)
        putFitted(" \(title) ", x: rect.x + 2, y: rect.y, width: rect.width - 4, style: .title, glyphs: glyphs)
    }

    /// Word-wraps text into rows of `width` columns (hard-cutting words longer than a row).
    static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var rows: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var row = ""
            var rowWidth = 0
            for word in paragraph.split(separator: " ", omittingEmptySubsequences: false) {
                var word = String(word)
                let w = DisplayWidth.of(word)
                if rowWidth > 0, rowWidth + 1 + w > width {
                    rows.append(row)
                    row = ""
                    rowWidth = 0
                }
                if rowWidth > 0 {
                    row += " "
                    rowWidth += 1
                }
                while DisplayWidth.of(word) > width - rowWidth {
                    var head = ""
                    var headWidth = 0
                    for c in word {
                        let cw = DisplayWidth.of(c)
                        if rowWidth + headWidth + cw > width { break }
                        head.append(c)
                        headWidth += cw
                    }
                    if head.isEmpty { break }
                    rows.append(row + head)
                    row = ""
                    rowWidth = 0
                    word.removeFirst(head.count)
                }
                row += word
                rowWidth += DisplayWidth.of(word)
            }
            rows.append(row)
        }
        return rows
    }
}
