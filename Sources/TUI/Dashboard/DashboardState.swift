import Core
import Foundation

/// How the disk table is ordered.
public enum DiskSort: String, Sendable, CaseIterable {
    case index, state, latency, name
}

/// Which pane has the keyboard.
public enum Pane: Sendable, Equatable {
    case disks, log
}

/// What covers the main view.
public enum Overlay: Sendable, Equatable {
    case none, help, confirmTrigger
    /// Quitting would cancel the running job: asked first.
    case confirmQuit
    /// The newest settings file, redacted.
    case settings
    /// The detail of the disk with this index (`DiskProgress.index`).
    case detail(Int)
    /// The explanation of these codes.
    case explain([String])
}

/// What the dashboard asks its runner to do after a message.
public enum DashboardAction: Sendable, Equatable {
    /// Quit the dashboard.
    case quit
    /// Resolve the job plan for the confirmation that is now open (into `DashboardModel.triggerPlan`).
    case prepareTrigger
    /// Run the confirmed job.
    case trigger
}

/// Everything that changes the dashboard's interaction state, handled by the one `DashboardState.update`.
public enum DashboardMessage: Sendable, Equatable {
    /// The operator pressed a key.
    case key(Key)
    /// A job or a source has something to say: shown as the one toast.
    case notice(String, ColorRole)
    /// The screen is this big now (the log pane's page follows from it).
    case resized(width: Int, height: Int)
}

/// The dashboard's interaction state: focus, selection, overlays, log follow/search/filter. Pure logic.
public struct DashboardState: Sendable {
    public var focus: Pane = .disks
    public var overlay: Overlay = .none
    /// Position of the selected row in the sorted table.
    public var selectedRow = 0
    public var sort: DiskSort = .index
    /// The absolute number of the log line shown at the bottom while paused; nil follows the end.
    public var logAnchor: Int?
    public var wrap = false
    /// Lines below this level are hidden.
    public var minimumLevel: LogLine.Level = .debug
    /// The log search (`/`, `n`, `N`).
    public var search = SearchField()
    /// The screen's size, from the last `.resized` message.
    public var screenSize = (width: 80, height: 24)
    /// A short-lived message.
    public var toast: (text: String, role: ColorRole, until: Date)?

    public init() {}

    public var isFollowing: Bool { logAnchor == nil }

    /// The disks in table order.
    public func sortedDisks(_ disks: [MonitoredDisk]) -> [MonitoredDisk] {
        switch sort {
        case .index: disks.sorted { $0.progress.index < $1.progress.index }
        case .name: disks.sorted { $0.progress.blob < $1.progress.blob }
        case .latency:
            disks.sorted { ($0.progress.latencyMilliseconds ?? -1) > ($1.progress.latencyMilliseconds ?? -1) }
        case .state: disks.sorted { Self.stateRank($0.progress.state) < Self.stateRank($1.progress.state) }
        }
    }

    private static func stateRank(_ state: DiskState) -> Int {
        switch state {
        case .failed: 0
        case .retrying: 1
        case .inFlight: 2
        case .pending: 3
        case .succeeded: 4
        }
    }

    /// Absolute numbers of the log lines that pass the level filter.
    public func visibleLogLines(_ model: DashboardModel) -> [Int] {
        model.logLines.indices.compactMap { i in
            model.logLines[i].level >= minimumLevel ? model.droppedLogLines + i : nil
        }
    }

    /// Absolute numbers of visible lines matching the search.
    public func searchMatches(_ model: DashboardModel) -> [Int] {
        guard !search.text.isEmpty else { return [] }
        return visibleLogLines(model).filter { search.matches(model.logLines[$0 - model.droppedLogLines].message) }
    }

    /// Handles one message; returns what the runner must do, if anything. Views only read the state.
    public mutating func update(_ message: DashboardMessage, model: DashboardModel, now: Date) -> DashboardAction? {
        guard let key = keyAfterCommonMessages(message, now: now) else { return nil }
        return handle(key, model: model, now: now)
    }

    /// Log lines one page moves.
    private func logPageSize(_ model: DashboardModel) -> Int {
        DashboardView.logPageSize(model, width: screenSize.width, height: screenSize.height)
    }

    private mutating func handle(_ key: Key, model: DashboardModel, now: Date) -> DashboardAction? {
        if search.isEditing {
            if search.edit(key), let last = searchMatches(model).last { logAnchor = last }
            return nil
        }
        switch overlay {
        case .help, .settings:
            if [.escape, .character("?"), .character("q"), .character("i")].contains(key) { overlay = .none }
            return nil
        case .confirmTrigger:
            overlay = .none
            if (key == .character("y") || key == .character("Y")) && model.triggerPlan?.problem == nil {
                return .trigger
            }
            showToast("snapshot not triggered", role: .muted, now: now)
            return nil
        case .confirmQuit:
            overlay = .none
            if key == .character("y") || key == .character("Y") { return .quit }
            showToast("still watching the running job", role: .muted, now: now)
            return nil
        case .detail, .explain:
            switch key {
            case .escape, .character("q"), .left: overlay = .none
            case .character("e"): overlay = .explain(codesToExplain(model))
            default: break
            }
            return nil
        case .none:
            return handleMain(key, model: model, now: now)
        }
    }

    private mutating func handleMain(_ key: Key, model: DashboardModel, now: Date) -> DashboardAction? {
        let disks = sortedDisks(model.job?.disks ?? [])
        switch key {
        case .character("q"):
            guard let live = model.live, !live.isTerminal else { return .quit }
            overlay = .confirmQuit
        case .character("?"): overlay = .help
        case .character("i"): overlay = .settings
        case .tab, .backTab: focus = focus == .disks ? .log : .disks
        case .up, .character("k"): move(-1, disks: disks.count, model: model)
        case .down, .character("j"): move(1, disks: disks.count, model: model)
        case .pageUp: move(-max(1, logPageSize(model) - 1), disks: disks.count, model: model)
        case .pageDown: move(max(1, logPageSize(model) - 1), disks: disks.count, model: model)
        case .home, .character("g"):
            if focus == .disks { selectedRow = 0 } else { logAnchor = visibleLogLines(model).first }
        case .end, .character("G"):
            if focus == .disks { selectedRow = max(0, disks.count - 1) } else { logAnchor = nil }
        case .enter:
            if focus == .disks, disks.indices.contains(selectedRow) {
                overlay = .detail(disks[selectedRow].progress.index)
            }
        case .character("s"):
            sort = sort.cycled
            showToast("sorted by \(sort.rawValue)", role: .muted, now: now)
        case .character("f"):
            logAnchor = logAnchor == nil ? visibleLogLines(model).last ?? 0 : nil
        case .character("w"): wrap.toggle()
        case .character("l"):
            minimumLevel = minimumLevel.cycled
            if logAnchor != nil { logAnchor = visibleLogLines(model).last }
        case .character("/"): search.begin()
        case .character("n"): jumpToMatch(forward: true, model: model, now: now)
        case .character("N"): jumpToMatch(forward: false, model: model, now: now)
        case .character("e"):
            let codes = codesToExplain(model)
            if codes.isEmpty {
                showToast("no error code in view", role: .muted, now: now)
            } else {
                overlay = .explain(codes)
            }
        case .character("t"):
            if let live = model.live, !live.isTerminal {
                showToast(
                    "a snapshot job is already running (task \(live.taskID ?? "?")): wait for it to finish",
                    role: .warning, now: now)
            } else if model.canTrigger {
                overlay = .confirmTrigger
                return .prepareTrigger
            } else {
                showToast(model.triggerUnavailableReason ?? "triggering is not available", role: .warning, now: now)
            }
        case .escape:
            search.text = ""
        default: break
        }
        selectedRow = min(max(0, selectedRow), max(0, disks.count - 1))
        return nil
    }

    private mutating func move(_ delta: Int, disks: Int, model: DashboardModel) {
        if focus == .disks {
            selectedRow += delta
            return
        }
        let visible = visibleLogLines(model)
        guard !visible.isEmpty else { return }
        let current = visible.firstIndex(of: logAnchor ?? visible.last!) ?? visible.count - 1
        let target = min(max(0, current + delta), visible.count - 1)
        logAnchor = target == visible.count - 1 && delta > 0 ? nil : visible[target]
    }

    private mutating func jumpToMatch(forward: Bool, model: DashboardModel, now: Date) {
        guard let target = SearchField.step(from: logAnchor ?? Int.max, in: searchMatches(model), forward: forward)
        else {
            showToast(search.noMatchNotice, role: .muted, now: now)
            return
        }
        logAnchor = target
    }

    /// The codes `e` explains: the selected disk's storage error when the disk pane has one, else the job's.
    public func codesToExplain(_ model: DashboardModel) -> [String] {
        guard let job = model.job else { return [] }
        var codes: [String] = []
        let disks = sortedDisks(job.disks)
        if case .detail(let index) = overlay, let disk = job.disks.first(where: { $0.progress.index == index }) {
            codes += [disk.progress.errorCode].compactMap { $0 }
        } else if focus == .disks, disks.indices.contains(selectedRow), let code = disks[selectedRow].progress.errorCode
        {
            codes.append(code)
        }
        for code in StatusReport.codesInView(job) where !codes.contains(code) { codes.append(code) }
        return codes
    }
}
