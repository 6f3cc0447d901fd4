import Core
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the dashboard in the terminal: a dedicated UI thread that sleeps in poll(2) on stdin and the feed's
/// wake-up pipe, redraws only when something changed (or a clock on screen ticks) and copies only changed cells.
public struct DashboardRunner: Sendable {
    public var feed: DashboardFeed
    public var environment: [String: String]
    public var zone: ClockZone
    public var palette: Palette
    public var explain: @Sendable (String) -> CodeExplanation?
    /// Called on the UI thread when `t` opened the confirmation: resolves the job plan into the feed's
    /// `triggerPlan` (reading files only, quickly) before the confirmation is drawn.
    public var prepareTrigger: @Sendable () -> Void
    /// Called on the UI thread when the operator confirmed a trigger; must return at once.
    public var onTrigger: @Sendable () -> Void

    public init(
        feed: DashboardFeed, environment: [String: String], zone: ClockZone = .local, palette: Palette = .dark,
        explain: @escaping @Sendable (String) -> CodeExplanation?, prepareTrigger: @escaping @Sendable () -> Void,
        onTrigger: @escaping @Sendable () -> Void
    ) {
        self.feed = feed
        self.environment = environment
        self.zone = zone
        self.palette = palette
        self.explain = explain
        self.prepareTrigger = prepareTrigger
        self.onTrigger = onTrigger
    }

    /// Takes over the terminal until the operator quits, stdin closes or the feed asks to quit.
    public func run() async throws {
        try await CursesTerminal.takeOver(environment: environment, palette: palette) { runLoop(on: $0) }
    }

    /// The UI loop on any screen; returns when the operator quits (`q`), input closes or the feed asks to quit.
    public func runLoop(on screen: any DashboardScreen) {
        let glyphs: Glyphs = screen.unicode ? .unicode : .ascii
        var state = DashboardState()
        var frames = FrameClock()
        var keys = KeyReader()
        while true {
            var (model, version, quit) = feed.current()
            if quit { return }
            let now = Date()
            let size = screen.size
            let ticking = model.freezeOpenedAt != nil || model.live.map { !$0.isTerminal } == true
            let tick: TimeInterval = ticking ? 0.1 : 1
            if frames.due(version: version, size: size, now: now, tick: tick) {
                if frames.resized(size) {
                    screen.invalidate()
                    _ = state.update(.resized(width: size.width, height: size.height), model: model, now: now)
                }
                if let notice = model.notice, notice.at > frames.lastDraw {
                    _ = state.update(.notice(notice.text, notice.role), model: model, now: now)
                }
                var grid = CellGrid(width: size.width, height: size.height, asciiOnly: !screen.unicode)
                let context = RenderContext(now: now, glyphs: glyphs, zone: zone, explain: explain)
                DashboardView.render(model, state: state, into: &grid, context: context)
                screen.draw(grid)
                frames.drew(version: version, size: size, at: now)
            }
            let outcome = keys.wait(on: screen, feed: feed, timeout: frames.untilTick(tick)) { key in
                if key == .resize {
                    frames.repaint()
                    return false
                }
                switch state.update(.key(key), model: model, now: Date()) {
                case .quit: return true
                case .prepareTrigger:
                    prepareTrigger()
                    model = feed.current().model  // the next key (`y`) answers the plan just resolved
                case .trigger: onTrigger()
                case nil: break
                }
                frames.redraw()
                return false
            }
            if outcome != .continued { return }
        }
    }
}
