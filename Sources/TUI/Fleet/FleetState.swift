import Core
import Foundation

/// Which VMs the fleet screen lists; `l` cycles them as it cycles the dashboard's log level filter.
public enum FleetFilter: String, Sendable, CaseIterable {
    case all
    /// STUCK, FAILED, WARNING, an unreadable blob, or a row whose data is not current (poll failing, stale).
    case attention = "needs attention"
    /// STUCK, FAILED and unreadable blobs only.
    case failing = "failed or stuck"

    /// Whether the filter lists the row at `now`.
    public func admits(_ row: FleetRow, now: Date) -> Bool {
        let failing = row.error != nil || row.verdict == .stuck || row.verdict == .failed
        switch self {
        case .all: return true
        case .attention: return failing || row.verdict == .warning || row.isStale(now: now)
        case .failing: return failing
        }
    }
}

/// What covers the fleet's table.
public enum FleetOverlay: Sendable, Equatable {
    case none, help
}

/// What the fleet screen asks its runner to do after a message.
public enum FleetAction: Sendable, Equatable {
    /// Quit the fleet screen.
    case quit
    /// Open the single-VM dashboard on the status blob of the VM with this name.
    case open(String)
}

/// The fleet screen's interaction state: selection (kept by VM name while rows re-sort), filter, search, help.
/// Pure logic: the one `update` handles every message.
public struct FleetState: Sendable {
    /// The selected VM's name; nil selects the first listed row.
    public var selectedName: String?
    public var filter: FleetFilter = .all
    /// The search over VM names and causes (`/`, `n`, `N`), as the dashboard's log search.
    public var search = SearchField()
    public var overlay: FleetOverlay = .none
    /// The screen's size, from the last `.resized` message (a page follows from it).
    public var screenSize = (width: 80, height: 24)
    /// A short-lived message.
    public var toast: (text: String, role: ColorRole, until: Date)?

    public init() {}

    /// The rows the filter lists, worst first.
    public func visibleRows(_ model: FleetModel, now: Date) -> [FleetRow] {
        model.rows.filter { filter.admits($0, now: now) }
    }

    /// The position of the selection among `rows`: the selected VM's, else the first row (nil when none).
    public func selectedIndex(in rows: [FleetRow]) -> Int? {
        guard !rows.isEmpty else { return nil }
        return selectedName.flatMap { name in rows.firstIndex { $0.name == name } } ?? 0
    }

    /// Positions among `rows` whose VM name or cause matches the search.
    public func searchMatches(_ rows: [FleetRow]) -> [Int] {
        rows.indices.filter { search.matches(rows[$0].name) || search.matches(rows[$0].cause) }
    }

    /// Handles one message; returns what the runner must do, if anything. Views only read the state.
    public mutating func update(_ message: DashboardMessage, model: FleetModel, now: Date) -> FleetAction? {
        guard let key = keyAfterCommonMessages(message, now: now) else { return nil }
        return handle(key, model: model, now: now)
    }

    private mutating func handle(_ key: Key, model: FleetModel, now: Date) -> FleetAction? {
        let rows = visibleRows(model, now: now)
        if search.isEditing {
            if search.edit(key) {
                guard let first = searchMatches(rows).first else {
                    if !search.text.isEmpty { showToast(search.noMatchNotice, role: .muted, now: now) }
                    return nil
                }
                selectedName = rows[first].name
            }
            return nil
        }
        if overlay == .help {
            if [.escape, .character("?"), .character("q")].contains(key) { overlay = .none }
            return nil
        }
        let page = max(1, FleetView.tableRows(height: screenSize.height) - 1)
        switch key {
        case .character("q"): return .quit
        case .character("?"): overlay = .help
        case .up, .character("k"): move(-1, rows)
        case .down, .character("j"): move(1, rows)
        case .pageUp: move(-page, rows)
        case .pageDown: move(page, rows)
        case .home, .character("g"): selectedName = rows.first?.name
        case .end, .character("G"): selectedName = rows.last?.name
        case .enter, .right:
            guard let index = selectedIndex(in: rows) else {
                showToast("no VM listed: press l to change the filter", role: .muted, now: now)
                return nil
            }
            selectedName = rows[index].name
            return .open(rows[index].name)
        case .character("l"):
            filter = filter.cycled
            let listed = visibleRows(model, now: now)
            if let name = selectedName, !listed.contains(where: { $0.name == name }) { selectedName = nil }
            showToast("showing \(filter.rawValue): \(listed.count) of \(model.rows.count) VMs", role: .muted, now: now)
        case .character("/"): search.begin()
        case .character("n"), .character("N"):
            let current = selectedIndex(in: rows) ?? -1
            guard let target = SearchField.step(from: current, in: searchMatches(rows), forward: key == .character("n"))
            else {
                showToast(search.noMatchNotice, role: .muted, now: now)
                return nil
            }
            selectedName = rows[target].name
        case .escape: search.text = ""
        default: break
        }
        return nil
    }

    private mutating func move(_ delta: Int, _ rows: [FleetRow]) {
        guard let current = selectedIndex(in: rows) else { return }
        selectedName = rows[min(max(0, current + delta), rows.count - 1)].name
    }
}
