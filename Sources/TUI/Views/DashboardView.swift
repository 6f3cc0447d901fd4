import Core
import Foundation

/// Lays the whole dashboard out on a grid: header, disk table, log pane, footer, overlays and toasts.
public enum DashboardView {
    /// Below this size the dashboard shows only a "terminal too small" screen.
    public static let minimumWidth = 60
    public static let minimumHeight = 16

    /// Renders one frame: a pure function of the model, the interaction state and the context.
    public static func render(
        _ model: DashboardModel, state: DashboardState, into grid: inout CellGrid, context: RenderContext
    ) {
        grid.fill(x: 0, y: 0, width: grid.width, height: grid.height)
        guard grid.width >= minimumWidth, grid.height >= minimumHeight else {
            renderTooSmall(into: &grid, minimumWidth: minimumWidth, minimumHeight: minimumHeight, context: context)
            return
        }
        let width = grid.width
        HeaderView.render(model, into: &grid, width: width, context: context)
        let footerY = grid.height - 1
        let (body, table, log) = layout(model, width: width, height: grid.height)
        grid.hline(context.glyphs.horizontal, x: 0, y: body.y, width: width)
        DiskTableView.render(model, state: state, into: &grid, area: table, context: context)
        grid.hline(context.glyphs.horizontal, x: 0, y: table.bottom, width: width)
        LogPaneView.render(model, state: state, into: &grid, area: log, context: context)
        OverlayViews.render(model, state: state, into: &grid, body: body, context: context)
        renderFooter(footerHints(model, state: state), into: &grid, y: footerY)
        renderToast(state.toast, into: &grid, y: footerY - 1, context: context)
    }

    /// Where the body, the disk table and the log pane go on a screen of this size.
    static func layout(_ model: DashboardModel, width: Int, height: Int) -> (body: Rect, table: Rect, log: Rect) {
        let footerY = height - 1
        let body = Rect(x: 0, y: HeaderView.height, width: width, height: footerY - HeaderView.height)
        let diskCount = model.job?.disks.count ?? 0
        let tableRows = min(max(1, diskCount), max(2, (body.height - 3) / 2))
        let table = Rect(x: 1, y: body.y + 1, width: width - 2, height: tableRows + 2)
        let log = Rect(x: 1, y: table.bottom + 1, width: width - 2, height: body.bottom - table.bottom - 1)
        return (body, table, log)
    }

    /// Log lines one page shows on a screen of this size (the pane's title takes a row).
    static func logPageSize(_ model: DashboardModel, width: Int, height: Int) -> Int {
        max(1, layout(model, width: width, height: height).log.height - 1)
    }

    /// The footer's keys for what is on screen.
    private static func footerHints(_ model: DashboardModel, state: DashboardState) -> [(String, String)] {
        let hints: [(String, String)]
        switch state.overlay {
        case .help, .settings: hints = [("Esc", "close"), ("q", "close")]
        case .confirmTrigger: hints = [("y", "trigger"), ("N", "cancel (default)")]
        case .confirmQuit: hints = [("y", "quit and cancel the job"), ("N", "stay (default)")]
        case .detail, .explain: hints = [("Esc", "back"), ("e", "explain")]
        case .none:
            if state.search.isEditing {
                hints = [("Enter", "search"), ("Esc", "cancel")]
            } else {
                hints = [
                    ("?", "help"), ("q", model.backTo.map { "back to \($0)" } ?? "quit"),
                    ("t", model.canTrigger ? "trigger" : "trigger (off)"),
                    ("e", "explain"), ("/", "search"), ("f", state.isFollowing ? "pause" : "follow"),
                    ("Enter", "detail"), ("Tab", "pane"), ("s", "sort"), ("w", "wrap"), ("l", "level"),
                ]
            }
        }
        return hints
    }

    /// The footer row: each key bold, then what it does.
    static func renderFooter(_ hints: [(String, String)], into grid: inout CellGrid, y: Int) {
        grid.fill(x: 0, y: y, width: grid.width, height: 1, style: CellStyle(.muted, .reverse))
        var segments: [(String, CellStyle)] = []
        for (key, label) in hints {
            segments.append((" \(key)", CellStyle(.title, [.reverse, .bold])))
            segments.append((" \(label)", CellStyle(.muted, .reverse)))
        }
        grid.putSegments(segments, x: 0, y: y, right: grid.width)
    }

    /// The one toast, right-aligned on row `y`, until it expires.
    static func renderToast(
        _ toast: (text: String, role: ColorRole, until: Date)?, into grid: inout CellGrid, y: Int,
        context: RenderContext
    ) {
        guard let toast, toast.until > context.now else { return }
        let text = " \(DisplayWidth.fitted(toast.text, columns: grid.width - 6, ellipsis: context.glyphs.ellipsis)) "
        let x = grid.width - DisplayWidth.of(text) - 1
        grid.put(text, x: x, y: y, style: CellStyle(toast.role, [.reverse, .bold]))
    }

    /// The screen shown instead of a view below its minimum size.
    static func renderTooSmall(
        into grid: inout CellGrid, minimumWidth: Int, minimumHeight: Int, context: RenderContext
    ) {
        let lines = [
            "Terminal too small",
            "\(grid.width)x\(grid.height), need at least \(minimumWidth)x\(minimumHeight)",
            "Enlarge the window, or press q to quit.",
        ]
        let top = max(0, grid.height / 2 - 1)
        for (i, line) in lines.enumerated() {
            let fitted = DisplayWidth.fitted(line, columns: grid.width, ellipsis: context.glyphs.ellipsis)
            let x = max(0, (grid.width - DisplayWidth.of(fitted)) / 2)
            grid.put(fitted, x: x, y: top + i, style: i == 0 ? CellStyle(.critical, .bold) : .plain)
        }
    }
}
