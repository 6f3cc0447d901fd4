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
        var loop = ScreenLoop(feed: feed, screen: screen, zone: zone, explain: explain, state: DashboardState())
        let tick = { (model: DashboardModel) -> TimeInterval in
            model.freezeOpenedAt != nil || model.live.map { !$0.isTerminal } == true ? 0.1 : 1
        }
        while true {
            let outcome = loop.turn(tick: tick) { key, state, model in
                switch state.update(.key(key), model: model, now: Date()) {
                case .quit: return true
                case .prepareTrigger:
                    prepareTrigger()
                    model = feed.current().model  // the next key (`y`) answers the plan just resolved
                case .trigger: onTrigger()
                case nil: break
                }
                return false
            }
            if outcome != .continued { return }
        }
    }
}
