/// The characters views draw with: Unicode box drawing and blocks, or ASCII when the locale is not UTF-8.
public struct Glyphs: Sendable, Equatable {
    public var horizontal: Character
    public var vertical: Character
    public var topLeft: Character
    public var topRight: Character
    public var bottomLeft: Character
    public var bottomRight: Character
    public var barFull: Character
    public var barEmpty: Character
    public var ellipsis: Character
    public var separator: String
    public var arrow: String
    public var ok: String
    public var failed: String
    public var running: String
    public var pending: String
    public var skipped: String
    /// A phase the source says nothing about.
    public var unknown: String
    public var up: String
    public var down: String

    public static let unicode = Glyphs(
        horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
        barFull: "█", barEmpty: "░", ellipsis: "…", separator: " │ ", arrow: " › ", ok: "✓", failed: "✗",
        running: "▶", pending: "·", skipped: "–", unknown: "?", up: "▲", down: "▼")

    public static let ascii = Glyphs(
        horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
        barFull: "#", barEmpty: ".", ellipsis: "~", separator: " | ", arrow: " > ", ok: "ok", failed: "X",
        running: ">", pending: ".", skipped: "-", unknown: "?", up: "^", down: "v")
}
