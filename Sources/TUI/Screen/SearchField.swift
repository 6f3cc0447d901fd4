import Foundation

/// The `/` search every screen shares: typed after `/`, confirmed with Enter, cancelled with Esc; `n`/`N` walk the
/// matches (wrapping around), matches are highlighted, and the pane's title shows the draft or the search.
public struct SearchField: Sendable, Equatable {
    /// The confirmed search (empty: none).
    public var text = ""
    /// What is being typed after `/`, nil when not typing.
    public var draft: String?

    public init(text: String = "") { self.text = text }

    /// Whether the operator is typing a search.
    public var isEditing: Bool { draft != nil }

    /// Starts typing a new search (`/`).
    mutating func begin() { draft = "" }

    /// Handles a key while typing; returns true when Enter confirmed the draft as the search.
    mutating func edit(_ key: Key) -> Bool {
        switch key {
        case .escape: draft = nil
        case .enter:
            text = draft ?? ""
            draft = nil
            return true
        case .backspace: if draft?.isEmpty == false { draft?.removeLast() }
        case .character(let c): draft?.append(c)
        default: break
        }
        return false
    }

    /// Whether `candidate` contains the search, ignoring case (never without a search).
    public func matches(_ candidate: String) -> Bool {
        !text.isEmpty && candidate.range(of: text, options: .caseInsensitive) != nil
    }

    /// The match `n` (forward) or `N` goes to from `current`, wrapping around; nil without matches.
    static func step(from current: Int, in matches: [Int], forward: Bool) -> Int? {
        forward ? matches.first { $0 > current } ?? matches.first : matches.last { $0 < current } ?? matches.last
    }

    /// The toast for `n`/`N` without a match.
    var noMatchNotice: String { text.isEmpty ? "no search: press / first" : "no match for \"\(text)\"" }

    /// The title segment: the draft with a cursor while typing, else the search with the match's position.
    func titleSegment(position: Int?, count: Int) -> (String, CellStyle)? {
        if let draft { return ("  /\(draft)_", CellStyle(.accent, .bold)) }
        guard !text.isEmpty else { return nil }
        return ("  search \"\(text)\" \(position.map { "\($0 + 1)/" } ?? "")\(count)", .accent)
    }
}

extension CellGrid {
    /// Underlines and reverses every occurrence of `search` in `text`, drawn at `x` on row `y` within `width`.
    mutating func highlight(_ search: String, in text: String, x: Int, y: Int, width: Int) {
        guard !search.isEmpty else { return }
        var start = text.startIndex
        while let range = text.range(of: search, options: .caseInsensitive, range: start..<text.endIndex) {
            let column = DisplayWidth.of(text[text.startIndex..<range.lowerBound])
            let length = DisplayWidth.of(text[range])
            if column >= width { break }
            restyle(x: x + column, y: y, width: min(length, width - column)) { style in
                style.attributes.formUnion([.reverse, .underline])
                style.role = .accent
            }
            start = range.upperBound
        }
    }
}
