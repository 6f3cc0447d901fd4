import Core
import Foundation

/// The log pane: follow or PAUSED, level filter, search with highlights, wrap.
enum LogPaneView {
    static func render(
        _ model: DashboardModel, state: DashboardState, into grid: inout CellGrid, area: Rect,
        context: RenderContext
    ) {
        let g = context.glyphs
        let focused = state.focus == .log && state.overlay == .none
        let visible = state.visibleLogLines(model)
        let matches = state.searchMatches(model)
        var title: [(String, CellStyle)] = [
            (" Log ", focused ? CellStyle(.title, [.bold, .reverse]) : .title), (" \(model.logName)  ", .muted),
            state.isFollowing ? ("FOLLOW", .ok) : ("PAUSED", CellStyle(.warning, [.bold, .reverse])),
            ("  level \(state.minimumLevel == .debug ? "all" : ">= " + state.minimumLevel.label)", .plain),
            ("  wrap \(state.wrap ? "on" : "off")", .plain),
        ]
        if let search = state.search.titleSegment(
            position: matches.firstIndex(of: state.logAnchor ?? -1), count: matches.count)
        {
            title.append(search)
        }
        grid.putSegments(title, x: area.x, y: area.y, right: area.x + area.width)

        let rows = area.height - 1
        guard rows > 0 else { return }
        if visible.isEmpty {
            let text = model.logLines.isEmpty ? " no log lines yet" : " no lines at this level (l: change level)"
            grid.put(text, x: area.x, y: area.y + 1, style: .muted, limit: area.width)
            return
        }
        let anchor = state.logAnchor.flatMap { a in visible.lastIndex { $0 <= a } } ?? visible.count - 1
        // Fill from the bottom up: the anchor line is the last one shown.
        var rendered: [(text: String, style: CellStyle, line: Int)] = []
        var index = anchor
        while index >= 0, rendered.count < rows {
            let number = visible[index]
            let line = model.logLines[number - model.droppedLogLines]
            let prefix = "\(line.timestamp.map(context.clock) ?? "        ") \(line.level.label) "
            let body = line.message + (line.truncated ? " [cut]" : "")
            let style: CellStyle =
                switch line.level {
                case .error: .critical
                case .warning: .warning
                case .debug: .muted
                case .info: .plain
                }
            let text = prefix + body
            let pieces = state.wrap ? CellGrid.wrap(text, width: area.width) : [text]
            for piece in pieces.reversed() where rendered.count < rows {
                rendered.append((piece, style, number))
            }
            index -= 1
        }
        for (offset, row) in rendered.reversed().enumerated() {
            let y = area.y + 1 + offset
            grid.putFitted(row.text, x: area.x, y: y, width: area.width, style: row.style, glyphs: g)
            grid.highlight(state.search.text, in: row.text, x: area.x, y: y, width: area.width)
            if row.line == state.logAnchor, matches.contains(row.line) {
                grid.restyle(x: area.x, y: y, width: area.width) { $0.attributes.insert(.bold) }
            }
        }
    }
}
