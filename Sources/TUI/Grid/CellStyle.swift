/// What a cell means; the backend maps roles to colours, or to attributes in monochrome.
public enum ColorRole: UInt8, Sendable, CaseIterable {
    case normal, muted, accent, title, ok, warning, critical, selection
}

/// Text attributes a cell carries in every mode (so state never depends on colour alone).
public struct TextAttributes: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let bold = TextAttributes(rawValue: 1)
    public static let dim = TextAttributes(rawValue: 2)
    public static let reverse = TextAttributes(rawValue: 4)
    public static let underline = TextAttributes(rawValue: 8)
}

/// A cell's colour role and attributes.
public struct CellStyle: Sendable, Hashable {
    public var role: ColorRole
    public var attributes: TextAttributes

    public init(_ role: ColorRole = .normal, _ attributes: TextAttributes = []) {
        self.role = role
        self.attributes = attributes
    }

    public static let plain = CellStyle()
    public static let muted = CellStyle(.muted)
    public static let title = CellStyle(.title, .bold)
    public static let ok = CellStyle(.ok)
    public static let warning = CellStyle(.warning, .bold)
    public static let critical = CellStyle(.critical, .bold)
    public static let accent = CellStyle(.accent)
    public static let selected = CellStyle(.selection, .reverse)

    /// The same style with more attributes.
    public func with(_ extra: TextAttributes) -> CellStyle { CellStyle(role, attributes.union(extra)) }
}
