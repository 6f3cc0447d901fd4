import Core

/// One terminal cell: a character, how many columns it takes and how it looks.
public struct Cell: Sendable, Equatable {
    public var character: Character
    /// 1 or 2 for a character; 0 for the right half of a wide character.
    public var width: UInt8
    public var style: CellStyle

    public init(_ character: Character, width: UInt8 = 1, style: CellStyle = .plain) {
        self.character = character
        self.width = width
        self.style = style
    }

    public static let blank = Cell(" ")
}

/// An in-memory screen that views render into; the backend copies only the cells that changed.
public struct CellGrid: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]
    /// Whether non-ASCII characters are replaced (the locale is not UTF-8).
    public let asciiOnly: Bool

    public init(width: Int, height: Int, asciiOnly: Bool = false) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.asciiOnly = asciiOnly
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell { cells[y * width + x] }

    /// Puts text at (x, y), clipped at `limit` columns (default: the right edge); returns the columns used.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: CellStyle = .plain, limit: Int? = nil) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let end = min(width, x + (limit ?? width))
        var column = x
        // Data never reaches the terminal as control or bidi characters: they are shown as escapes.
        for original in TerminalText.sanitize(text) {
            var character = original
            var w = DisplayWidth.of(character)
            if asciiOnly && !character.isASCII {
                character = "?"
                w = 1
            }
            if w == 0 { continue }
            if column + w > end { break }
            if column >= 0 { set(column, y, Cell(character, width: UInt8(w), style: style)) }
            if w == 2, column + 1 >= 0 { set(column + 1, y, Cell(" ", width: 0, style: style)) }
            column += w
        }
        return column - x
    }

    /// Fills a rectangle with blanks in a style.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, style: CellStyle = .plain) {
        let blank = Cell(" ", style: style)
        for row in max(0, y)..<min(height, y + h) {
            for column in max(0, x)..<min(width, x + w) { set(column, row, blank) }
        }
    }

    /// Repeats one character along a row.
    public mutating func hline(_ character: Character, x: Int, y: Int, width w: Int, style: CellStyle = .muted) {
        guard y >= 0, y < height else { return }
        let character = asciiOnly && !character.isASCII ? "-" : character
        for column in max(0, x)..<min(width, x + w) { set(column, y, Cell(character, style: style)) }
    }

    /// Applies extra attributes to a span (e.g. search highlights, the selected row).
    public mutating func restyle(x: Int, y: Int, width w: Int, _ change: (inout CellStyle) -> Void) {
        guard y >= 0, y < height else { return }
        for column in max(0, x)..<min(width, x + w) { change(&cells[y * width + column].style) }
    }

    /// Indices of cells that differ from `previous` (every cell when the sizes differ).
    public func changedCells(since previous: CellGrid?) -> [Int] {
        guard let previous, previous.width == width, previous.height == height else { return Array(cells.indices) }
        var changed: [Int] = []
        for i in cells.indices where cells[i] != previous.cells[i] { changed.append(i) }
        return changed
    }

    /// The grid as text lines (wide characters once, trailing blanks kept), for goldens and captures.
    public var lines: [String] {
        (0..<height).map { y in
            var line = ""
            for x in 0..<width where self[x, y].width > 0 { line.append(self[x, y].character) }
            return line
        }
    }

    private mutating func set(_ x: Int, _ y: Int, _ cell: Cell) {
        let i = y * width + x
        // Overwriting half of a wide character blanks its other half.
        if cells[i].width == 0, x > 0, cells[i - 1].width == 2 { cells[i - 1] = Cell(" ", style: cells[i - 1].style) }
        if cells[i].width == 2, cell.width != 2, x + 1 < width { cells[i + 1] = Cell(" ", style: cells[i + 1].style) }
        cells[i] = cell
    }
}
