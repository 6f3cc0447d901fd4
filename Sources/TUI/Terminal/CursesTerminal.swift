import CVMSnapCurses
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Why the dashboard cannot take over the terminal.
public struct TerminalUnavailable: Error, Sendable, CustomStringConvertible {
    public var reason: String

    public var description: String {
        "\(reason); the dashboard needs an interactive terminal. For scripts and tickets use `vmsnap status --once` "
            + "(add --json for machine-readable output)."
    }
}

/// The ncursesw backend: takes over the terminal, copies only changed grid cells, reads keys, restores on exit.
public final class CursesTerminal: DashboardScreen {
    /// Whether the locale is UTF-8 (else views use ASCII glyphs).
    public let unicode: Bool
    /// Whether colours are used (not with NO_COLOR or a terminal without colours).
    public let colors: Bool
    private let screen: OpaquePointer
    private var onScreen: CellGrid?
    private var stopped = false

    /// Checks that stdin and stdout are a terminal that can be driven; nil when fine.
    public static func unavailableReason(environment: [String: String]) -> TerminalUnavailable? {
        if isatty(STDIN_FILENO) == 0 || isatty(STDOUT_FILENO) == 0 {
            return TerminalUnavailable(reason: "stdin or stdout is not a terminal")
        }
        let term = environment["TERM"] ?? ""
        if term.isEmpty || term == "dumb" {
            return TerminalUnavailable(reason: "TERM is \(term.isEmpty ? "not set" : "'dumb'")")
        }
        return nil
    }

    /// Takes over the terminal.
    public init(environment: [String: String], palette: Palette = .dark) throws(TerminalUnavailable) {
        if let problem = Self.unavailableReason(environment: environment) { throw problem }
        setlocale(LC_ALL, "")
        let codeset = String(cString: nl_langinfo(nl_item(CODESET)))
        unicode = codeset.uppercased().replacingOccurrences(of: "-", with: "") == "UTF8"
        TerminalRestorer.saveOriginalState(terminalDescriptor: STDOUT_FILENO)
        guard let screen = newterm(nil, vmsnap_stdout(), vmsnap_stdin()) else {
            throw TerminalUnavailable(reason: "curses cannot drive TERM '\(environment["TERM"] ?? "")'")
        }
        self.screen = screen
        set_term(screen)
        cbreak()
        noecho()
        nonl()
        intrflush(vmsnap_stdscr(), false)
        keypad(vmsnap_stdscr(), true)
        set_escdelay(25)
        curs_set(0)
        nodelay(vmsnap_stdscr(), true)
        let wantsColor = (environment["NO_COLOR"].map { $0.isEmpty } ?? true) && palette != .monochrome
        if wantsColor && has_colors() {
            start_color()
            use_default_colors()
            for role in ColorRole.allCases {
                init_pair(Self.pair(role), palette.foreground(role) ?? -1, -1)
            }
            colors = true
        } else {
            colors = false
        }
        TerminalRestorer.install(sequence: Self.restoreSequence())
    }

    deinit { stop() }

    public var inputDescriptor: Int32? { STDIN_FILENO }

    /// The terminal's size in cells.
    public var size: (width: Int, height: Int) {
        (Int(vmsnap_getmaxx(vmsnap_stdscr())), Int(vmsnap_getmaxy(vmsnap_stdscr())))
    }

    /// Forgets what is on screen so the next `draw` repaints every cell (after a resize).
    public func invalidate() { onScreen = nil }

    /// Copies the cells that changed since the last frame, then updates the screen once.
    public func draw(_ grid: CellGrid) {
        let window = vmsnap_stdscr()
        var scalars = [wchar_t](repeating: 0, count: 8)
        for index in grid.changedCells(since: onScreen) {
            let cell = grid.cells[index]
            guard cell.width > 0 else { continue }
            let y = index / grid.width
            let x = index % grid.width
            // The bottom-right cell would scroll some terminals: skip it.
            if y == grid.height - 1, x == grid.width - 1 { continue }
            var count = 0
            for scalar in cell.character.unicodeScalars where count < scalars.count {
                scalars[count] = wchar_t(bitPattern: scalar.value)
                count += 1
            }
            _ = vmsnap_put_cell(
                window, Int32(y), Int32(x), scalars, Int32(count), attributes(cell.style), pair(cell.style))
        }
        wnoutrefresh(window)
        doupdate()
        onScreen = grid
    }

    /// Reads one key without waiting; nil when none is pending.
    public func readKey() -> Key? {
        var value: wint_t = 0
        let kind = wget_wch(vmsnap_stdscr(), &value)
        if kind == vmsnap_err() { return nil }
        if kind == vmsnap_key_code_yes() { return Self.functionKey(Int32(value)) ?? readKey() }
        switch value {
        case 10, 13: return .enter
        case 27: return .escape
        case 9: return .tab
        case 8, 127: return .backspace
        default:
            guard let scalar = Unicode.Scalar(UInt32(value)) else { return readKey() }
            return .character(Character(scalar))
        }
    }

    /// Leaves curses mode and restores the terminal (idempotent).
    public func stop() {
        guard !stopped else { return }
        stopped = true
        curs_set(1)
        endwin()
        delscreen(screen)
        TerminalRestorer.uninstall()
    }

    private static func functionKey(_ code: Int32) -> Key? {
        switch code {
        case KEY_UP: .up
        case KEY_DOWN: .down
        case KEY_LEFT: .left
        case KEY_RIGHT: .right
        case KEY_PPAGE: .pageUp
        case KEY_NPAGE: .pageDown
        case KEY_HOME: .home
        case KEY_END: .end
        case KEY_ENTER: .enter
        case KEY_BTAB: .backTab
        case KEY_BACKSPACE: .backspace
        case vmsnap_key_resize(): .resize
        default: nil
        }
    }

    private static func pair(_ role: ColorRole) -> Int16 { Int16(role.rawValue) + 1 }

    private func pair(_ style: CellStyle) -> Int16 { colors ? Self.pair(style.role) : 0 }

    private func attributes(_ style: CellStyle) -> attr_t {
        var result = vmsnap_a_normal()
        var attributes = style.attributes
        if style.role == .muted { attributes.insert(.dim) }
        if !colors, style.role == .title || style.role == .critical { attributes.insert(.bold) }
        if attributes.contains(.bold) { result |= vmsnap_a_bold() }
        if attributes.contains(.dim) { result |= vmsnap_a_dim() }
        if attributes.contains(.reverse) { result |= vmsnap_a_reverse() }
        if attributes.contains(.underline) { result |= vmsnap_a_underline() }
        return result
    }

    /// rmcup, rmkx, cnorm and sgr0 from terminfo: what a signal handler writes to give the terminal back.
    private static func restoreSequence() -> [UInt8] {
        var bytes: [UInt8] = []
        for capability in ["rmcup", "rmkx", "cnorm", "sgr0"] {
            guard let value = tigetstr(capability), Int(bitPattern: value) != -1 else { continue }
            bytes += Array(String(cString: value).utf8)
        }
        return bytes
    }
}
