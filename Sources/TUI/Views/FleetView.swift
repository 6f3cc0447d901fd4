import Core
import Foundation

/// Lays the fleet screen out on a grid: title with the VM count and the inventory, the count per verdict with the
/// poll cycle's freshness, one row per VM worst first (verdict, name, code, document age, failed disks, when the
/// row was last read, cause), the toast and the footer.
public enum FleetView {
    /// Below this size the screen shows only a "terminal too small" screen.
    public static let minimumWidth = 60
    public static let minimumHeight = 12
    /// Rows above the table's first VM (title, counts, rule, table title, column header).
    static let tableTop = 5

    /// VM rows the table shows on a screen of this height (toast and footer below it).
    static func tableRows(height: Int) -> Int { max(1, height - tableTop - 2) }

    static let helpLines: [(String, String)] = [
        ("Up/Down  j/k", "move the selection"),
        ("PgUp/PgDn  g/G", "page, jump to the first or last VM"),
        ("Enter", "open the VM's dashboard on its status blob; q there comes back here"),
        ("l", "filter: all, needs attention, failed or stuck"),
        ("/  n  N", "search VM names and causes, next and previous match"),
        ("Esc", "clear the search, close this help"),
        ("?", "this help"),
        ("q", "quit"),
    ]

    static let helpFooter =
        "State is always spelled out (FAILED, UNREADABLE, FAILING, STALE); colour only repeats it. Esc closes."

    /// Renders one frame: a pure function of the model, the interaction state and the context.
    public static func render(_ model: FleetModel, state: FleetState, into grid: inout CellGrid, context: RenderContext)
    {
        grid.fill(x: 0, y: 0, width: grid.width, height: grid.height)
        guard grid.width >= minimumWidth, grid.height >= minimumHeight else {
            DashboardView.renderTooSmall(
                into: &grid, minimumWidth: minimumWidth, minimumHeight: minimumHeight, context: context)
            return
        }
        let g = context.glyphs
        let width = grid.width
        grid.fill(x: 0, y: 0, width: width, height: 1, style: CellStyle(.title, .reverse))
        grid.putSegments(
            [
                (" vmsnap fleet ", CellStyle(.title, [.reverse, .bold])),
                ("\(model.rows.count) VM\(model.rows.count == 1 ? "" : "s")", CellStyle(.title, .reverse)),
                (g.separator + model.inventory, CellStyle(.title, .reverse)),
                (g.separator + "polled every \(SourceFreshness.age(model.interval))", CellStyle(.title, .reverse)),
            ], x: 0, y: 0, right: width)
        grid.putSegments(summary(model, context: context), x: 1, y: 1, right: width - 1)
        grid.hline(g.horizontal, x: 0, y: 2, width: width)
        let rows = state.visibleRows(model, now: context.now)
        renderTable(model, rows: rows, state: state, into: &grid, context: context)
        let body = Rect(x: 0, y: 3, width: width, height: grid.height - 4)
        if state.overlay == .help {
            OverlayViews.renderHelp(helpLines, footer: helpFooter, into: &grid, body: body, context: context)
        }
        DashboardView.renderFooter(footerHints(state), into: &grid, y: grid.height - 1)
        DashboardView.renderToast(state.toast, into: &grid, y: grid.height - 2, context: context)
    }

    /// The count per verdict, worst first, then the newest poll cycle: when it ran and how long it took.
    private static func summary(_ model: FleetModel, context: RenderContext) -> [(String, CellStyle)] {
        var segments: [(String, CellStyle)] = []
        for entry in model.counts {
            if !segments.isEmpty { segments.append(("  ", .plain)) }
            segments.append(
                ("\(entry.count) \(entry.label)", verdictStyle(entry.verdict, unreadable: entry.unreadable)))
        }
        if !segments.isEmpty { segments.append((context.glyphs.separator, .muted)) }
        guard let cycle = model.lastCycle else {
            segments.append(("first poll cycle running", .muted))
            return segments
        }
        let age = max(0, context.now.timeIntervalSince(cycle.at))
        segments.append(
            (
                "cycle \(context.stamp(cycle.at)), \(SourceFreshness.age(age)) ago, took "
                    + RenderContext.duration(cycle.seconds), .muted
            ))
        if age > MonitorSourceLocations.staleAfter(model.interval) {
            segments.append((" ", .plain))
            segments.append(("STALE", CellStyle(.critical, [.bold, .reverse])))
        }
        return segments
    }

    enum Kind { case verdict, name, code, age, disks, read, cause }

    struct Column {
        var kind: Kind
        var title: String
        var width: Int
        var rightAligned = false
    }

    /// Fixed columns, the VM name as wide as the longest (up to a quarter of the screen), the cause takes the rest.
    static func layout(width: Int, rows: [FleetRow]) -> [Column] {
        let longest = rows.map { DisplayWidth.of($0.name) }.max() ?? 2
        let name = min(max(8, longest), max(12, width / 4))
        let fixed = 12 + name + 4 + 7 + 6 + 11 + 6  // every column but the cause, and a space after each
        return [
            Column(kind: .verdict, title: "VERDICT", width: 12), Column(kind: .name, title: "VM", width: name),
            Column(kind: .code, title: "CODE", width: 4, rightAligned: true),
            Column(kind: .age, title: "AGE", width: 7, rightAligned: true),
            Column(kind: .disks, title: "FAILED", width: 6, rightAligned: true),
            Column(kind: .read, title: "READ", width: 11),
            Column(kind: .cause, title: "CAUSE", width: width - 2 - fixed),
        ]
    }

    private static func renderTable(
        _ model: FleetModel, rows: [FleetRow], state: FleetState, into grid: inout CellGrid, context: RenderContext
    ) {
        let g = context.glyphs
        let width = grid.width
        let matches = state.searchMatches(rows)
        let selected = state.selectedIndex(in: rows)
        var title: [(String, CellStyle)] = [
            (" VMs ", CellStyle(.title, [.bold, .reverse])),
            (" \(rows.count) of \(model.rows.count) listed  filter: \(state.filter.rawValue)", .plain),
        ]
        if let search = state.search.titleSegment(
            position: selected.flatMap { matches.firstIndex(of: $0) }, count: matches.count)
        {
            title.append(search)
        }
        grid.putSegments(title, x: 1, y: 3, right: width - 1)
        let columns = layout(width: width, rows: rows)
        var header = ""
        for column in columns {
            header += DiskTableView.pad(column.title, column.width, right: column.rightAligned) + " "
        }
        grid.put(header, x: 1, y: 4, style: CellStyle(.muted, .underline), limit: width - 2)

        let visible = tableRows(height: grid.height)
        guard !rows.isEmpty else {
            let text =
                model.lastCycle == nil
                ? " reading the status blobs..."
                : model.rows.isEmpty
                    ? " no VMs: the inventory (\(model.inventory)) lists none"
                    : " no VM is \(state.filter.rawValue): press l to change the filter"
            grid.put(text, x: 1, y: tableTop, style: .muted, limit: width - 2)
            return
        }
        let current = selected ?? 0
        let first = max(0, current - visible + 1)
        for (offset, row) in rows.dropFirst(first).prefix(visible).enumerated() {
            let y = tableTop + offset
            var x = 1
            for column in columns {
                let (text, style) = cell(column.kind, row, context: context)
                let fitted = DisplayWidth.fitted(text, columns: column.width, ellipsis: g.ellipsis)
                grid.put(
                    DiskTableView.pad(fitted, column.width, right: column.rightAligned), x: x, y: y, style: style,
                    limit: column.width)
                if column.kind == .name || column.kind == .cause {
                    grid.highlight(state.search.text, in: fitted, x: x, y: y, width: column.width)
                }
                x += column.width + 1
            }
            if first + offset == current {
                let focused = state.overlay == .none
                grid.put(">", x: 0, y: y, style: .title)
                grid.restyle(x: 0, y: y, width: width) { $0.attributes.insert(focused ? .reverse : .underline) }
            }
        }
        if rows.count > visible {
            let more = "\(first + 1)-\(min(rows.count, first + visible)) of \(rows.count)"
            grid.put(more, x: width - 1 - DisplayWidth.of(more), y: 3, style: .muted)
        }
    }

    private static func cell(_ kind: Kind, _ row: FleetRow, context: RenderContext) -> (String, CellStyle) {
        switch kind {
        case .verdict:
            let label =
                row.error != nil
                ? "! UNREADABLE" : HeaderView.statusLabel(row.verdict, glyphs: context.glyphs)
            return (label, verdictStyle(row.verdict, unreadable: row.error != nil))
        case .name: return (row.name, .plain)
        case .code: return (row.code.map { String($0.rawValue) } ?? "-", .plain)
        case .age:
            let age = row.writtenAt.map { context.now.timeIntervalSince($0) } ?? row.documentAge
            return (age.map { SourceFreshness.age($0) } ?? "-", .plain)
        case .disks:
            guard row.totalDisks > 0 else { return ("-", .muted) }
            return ("\(row.failedDisks)/\(row.totalDisks)", row.failedDisks > 0 ? .critical : .plain)
        case .read: return readCell(row, context: context)
        case .cause:
            let read = row.read
            guard row.error == nil, let since = read.failingSince, let lastRead = read.lastSuccess else {
                return (row.cause, row.error != nil ? .warning : .plain)
            }
            // An earlier document while the blob cannot be read: say so before the data it shows.
            return (
                "poll failing since \(context.stamp(since)) (\(read.lastError ?? "?")); as read "
                    + "\(context.stamp(lastRead)): \(row.cause)", .warning
            )
        }
    }

    /// When the row was last read: `3 s ago`, `FAILING` while its polls fail, `STALE 4 min` once older than three
    /// cycles, `never` before its blob answered.
    private static func readCell(_ row: FleetRow, context: RenderContext) -> (String, CellStyle) {
        let read = row.read
        if read.failingSince != nil { return ("FAILING", CellStyle(.critical, .bold)) }
        guard let last = read.lastSuccess else { return ("never", .muted) }
        let age = SourceFreshness.age(context.now.timeIntervalSince(last))
        return read.isStale(now: context.now) ? ("STALE \(age)", CellStyle(.warning, .bold)) : ("\(age) ago", .muted)
    }

    private static func verdictStyle(_ verdict: Verdict, unreadable: Bool) -> CellStyle {
        unreadable ? CellStyle(.critical, .bold) : CellStyle(HeaderView.style(for: verdict).role, .bold)
    }

    private static func footerHints(_ state: FleetState) -> [(String, String)] {
        if state.overlay == .help { return [("Esc", "close"), ("q", "close")] }
        if state.search.isEditing { return [("Enter", "search"), ("Esc", "cancel")] }
        return [
            ("?", "help"), ("q", "quit"), ("Enter", "open VM"), ("j/k", "move"), ("/", "search"), ("n/N", "match"),
            ("l", "filter"),
        ]
    }
}
