import Core
import Foundation

/// Runs the fleet screen in the terminal (a dedicated UI thread, as the dashboard's): redraws when a poll cycle
/// changed the model, a key was handled or a second passed; Enter hands the same screen to a VM's dashboard until
/// its `q`, then the fleet comes back with its selection.
public struct FleetRunner: Sendable {
    public var feed: ModelFeed<FleetModel>
    public var environment: [String: String]
    public var zone: ClockZone
    public var palette: Palette
    public var explain: @Sendable (String) -> CodeExplanation?
    /// Runs the dashboard of the VM with this name on the screen, on the UI thread, until the operator leaves it.
    public var openVM: @Sendable (String, any DashboardScreen) -> Void

    public init(
        feed: ModelFeed<FleetModel>, environment: [String: String], zone: ClockZone = .local,
        palette: Palette = .dark, explain: @escaping @Sendable (String) -> CodeExplanation?,
        openVM: @escaping @Sendable (String, any DashboardScreen) -> Void
    ) {
        self.feed = feed
        self.environment = environment
        self.zone = zone
        self.palette = palette
        self.explain = explain
        self.openVM = openVM
    }

    /// Takes over the terminal until the operator quits, stdin closes or the feed asks to quit.
    public func run() async throws {
        try await CursesTerminal.takeOver(environment: environment, palette: palette) { runLoop(on: $0) }
    }

    /// The UI loop on any screen; returns when the operator quits, input closes or the feed asks to quit.
    public func runLoop(on screen: any DashboardScreen) {
        var loop = ScreenLoop(feed: feed, screen: screen, zone: zone, explain: explain, state: FleetState())
        while true {
            var action: FleetAction?
            let outcome = loop.turn(tick: { _ in 1 }) { key, state, model in
                action = state.update(.key(key), model: model, now: Date())
                return action != nil
            }
            switch action {
            case .quit: return
            case .open(let name):
                openVM(name, screen)
                loop.repaint()  // the dashboard drew over every cell
            case nil:
                if outcome != .continued { return }
            }
        }
    }
}
