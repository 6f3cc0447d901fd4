import CVMSnapCurses

#if canImport(Glibc)
    import Glibc
#endif

/// The colours each role takes on a terminal: `dark` for dark backgrounds, `light` readable on white (no yellow or
/// cyan, which vanish there), `monochrome` none at all (attributes only).
public enum Palette: String, Sendable, CaseIterable {
    case dark, light, monochrome

    /// The curses foreground colour of a role; -1 is the terminal's default; nil means no colours at all.
    func foreground(_ role: ColorRole) -> Int16? {
        switch self {
        case .monochrome: return nil
        case .dark:
            switch role {
            case .normal, .selection, .muted: return -1
            case .accent, .title: return Int16(COLOR_CYAN)
            case .ok: return Int16(COLOR_GREEN)
            case .warning: return Int16(COLOR_YELLOW)
            case .critical: return Int16(COLOR_RED)
            }
        case .light:
            switch role {
            case .normal, .selection, .muted: return -1
            case .accent, .title: return Int16(COLOR_BLUE)
            case .ok: return Int16(COLOR_GREEN)
            case .warning: return Int16(COLOR_MAGENTA)
            case .critical: return Int16(COLOR_RED)
            }
        }
    }
}
