import Core
import Foundation

/// The per-disk table: progress bar title, sortable columns, the selected row.
enum DiskTableView {
    static func render(
        _ model: DashboardModel, state: DashboardState, into grid: inout CellGrid, area: Rect,
        context: RenderContext
    ) {
        let g = context.glyphs
        let disks = state.sortedDisks(model.job?.disks ?? [])
        let focused = state.focus == .disks && state.overlay == .none
        let (done, total) = model.job?.diskProgress ?? (0, 0)
        let failed = disks.filter { $0.progress.state == .failed }.count
        var title: [(String, CellStyle)] = [
            (" Disks ", focused ? CellStyle(.title, [.bold, .reverse]) : .title),
            (" \(done)/\(total) finished", .plain),
        ]
        if failed > 0 { title.append((", \(failed) failed", .critical)) }
        let barWidth = max(0, min(30, area.width / 4))
        let percent = total > 0 ? done * 100 / total : 0
        let filled = total > 0 ? barWidth * done / total : 0
        title.append(("  ", .plain))
        title.append((String(repeating: g.barFull, count: filled), failed > 0 ? .warning : .ok))
        title.append((String(repeating: g.barEmpty, count: barWidth - filled), .muted))
        title.append((" \(percent)%", .plain))
        title.append(("  sort: \(state.sort.rawValue) \(state.sort == .latency ? g.down : g.up)", .muted))
        grid.putSegments(title, x: area.x, y: area.y, right: area.x + area.width)

        let columns = layout(width: area.width, disks: disks)
        var header = ""
        for column in columns {
            let title = column.kind == .location && column.width < 17 ? "STORAGE" : column.title
            header += pad(DisplayWidth.fitted(title, columns: column.width, ellipsis: g.ellipsis), column.width) + " "
        }
        grid.put(header, x: area.x, y: area.y + 1, style: CellStyle(.muted, .underline), limit: area.width)

        let rows = area.height - 2
        guard rows > 0 else { return }
        if disks.isEmpty {
            grid.put(" no disks in this job", x: area.x, y: area.y + 2, style: .muted, limit: area.width)
            return
        }
        let selected = min(state.selectedRow, disks.count - 1)
        let first = max(0, selected - rows + 1)
        for (offset, disk) in disks.dropFirst(first).prefix(rows).enumerated() {
            let y = area.y + 2 + offset
            let isSelected = first + offset == selected
            var x = area.x
            for column in columns {
                let (text, style) = cell(column.kind, disk, width: column.width, glyphs: g)
                grid.putFitted(text, x: x, y: y, width: column.width, style: style, glyphs: g)
                x += column.width + 1
            }
            if isSelected {
                grid.put(focused ? ">" : " ", x: area.x, y: y, style: .title)
                grid.restyle(x: area.x, y: y, width: area.width) { style in
                    style.attributes.insert(focused ? .reverse : .underline)
                }
            }
        }
        if disks.count > rows {
            let more = "\(first + 1)-\(min(disks.count, first + rows)) of \(disks.count)"
            grid.put(more, x: area.x + area.width - DisplayWidth.of(more), y: area.y, style: .muted)
        }
    }

    enum Kind { case index, disk, lun, location, state, attempts, latency, outcome }

    struct Column {
        var kind: Kind
        var title: String
        var width: Int
    }

    /// Columns sized to their content: the disk and location columns take what their longest value needs (up to a
    /// share of the width), and all spare width goes to the snapshot/error column.
    static func layout(width: Int, disks: [MonitoredDisk] = []) -> [Column] {
        let fixed = 3 + 3 + 11 + 3 + 7 + 8  // index, lun, state, attempts, latency, separators
        let narrow = width < 76
        let flexible = max(24, width - fixed - (narrow ? 0 : 1))
        let longestName = disks.map { DisplayWidth.of(diskName($0)) }.max() ?? 4
        let longestLocation = disks.map { DisplayWidth.of(Self.location($0.progress)) }.max() ?? 17
        let locationWidth = narrow ? 0 : min(max(10, longestLocation), flexible * 3 / 10)
        let disk = max(8, min(longestName, (flexible - locationWidth) * 6 / 10))
        let outcome = max(14, flexible - disk - locationWidth)
        let all = [
            Column(kind: .index, title: "  #", width: 3), Column(kind: .disk, title: "DISK", width: disk),
            Column(kind: .lun, title: "LUN", width: 3),
            Column(kind: .location, title: "ACCOUNT/CONTAINER", width: locationWidth),
            Column(kind: .state, title: "STATE", width: 11), Column(kind: .attempts, title: "TRY", width: 3),
            Column(kind: .latency, title: "LAT ms", width: 7),
            Column(kind: .outcome, title: "SNAPSHOT / ERROR", width: outcome),
        ]
        return all.filter { $0.width > 0 }
    }

    static func stateText(_ state: DiskState, attempts: Int, glyphs: Glyphs) -> (String, CellStyle) {
        switch state {
        case .pending: ("\(glyphs.pending) pending", .muted)
        case .inFlight: ("\(glyphs.running) sending", CellStyle(.accent, .bold))
        case .retrying: ("~ retry \(min(attempts, Int.max - 1) + 1)", .warning)
        case .succeeded: ("\(glyphs.ok) done", .ok)
        case .failed: ("\(glyphs.failed) FAILED", .critical)
        }
    }

    /// `2026-11-25T03:07:04.5315790Z` as `03:07:04.531Z` when the column is too narrow for all of it.
    static func shortSnapshotTime(_ time: String, width: Int) -> String {
        guard DisplayWidth.of(time) > width, let t = time.firstIndex(of: "T") else { return time }
        let clock = time[time.index(after: t)...].prefix(12)
        return clock + (time.hasSuffix("Z") ? "Z" : "")
    }

    private static func cell(_ kind: Kind, _ disk: MonitoredDisk, width: Int, glyphs: Glyphs) -> (String, CellStyle) {
        let p = disk.progress
        switch kind {
        case .index: return (pad(String(p.index), 3, right: true), .muted)
        case .disk:
            return (DisplayWidth.middleFitted(diskName(disk), columns: width, ellipsis: glyphs.ellipsis), .plain)
        case .lun: return (disk.lun.map(String.init) ?? "-", .muted)
        case .location: return (location(p), .plain)
        case .state: return stateText(p.state, attempts: p.attempts, glyphs: glyphs)
        case .attempts:
            guard disk.attemptsKnown else { return (pad("?", 3, right: true), .muted) }
            return (pad(String(p.attempts), 3, right: true), p.attempts > 1 ? .warning : .plain)
        case .latency:
            return (
                pad(p.latencyMilliseconds.map { RenderContext.fixed($0, digits: 1) } ?? "-", 7, right: true), .plain
            )
        case .outcome:
            if p.state == .failed || p.errorCode != nil && p.state != .succeeded {
                return (p.errorSummary, .critical)
            }
            return (p.snapshotTime.map { shortSnapshotTime($0, width: width) } ?? "", .plain)
        }
    }

    /// The blob's name, or `(not named)` when the document leaves it out.
    static func diskName(_ disk: MonitoredDisk) -> String {
        disk.progress.blob.isEmpty ? "(not named)" : disk.progress.blob
    }

    /// `account/container`, with ` via host` for a snapshot the host's backup service took.
    static func location(_ p: DiskProgress) -> String {
        (p.account.isEmpty ? "-" : "\(p.account)/\(p.container)") + (p.path == .host ? " via host" : "")
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let w = DisplayWidth.of(text)
        guard w < width else { return text }
        let space = String(repeating: " ", count: width - w)
        return right ? space + text : text + space
    }
}
