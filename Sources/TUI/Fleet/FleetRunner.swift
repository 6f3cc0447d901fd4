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
        let glyphs: Glyphs = screen.unicode ? .unicode : .ascii
        var state = FleetState()
        var frames = FrameClock()
        var keys = KeyReader()
        while true {
            let (model, version, quit) = feed.current()
            if quit { return }
            let now = Date()
            let size = screen.size
            if frames.due(version: version, size: size, now: now, tick: 1) {
                if frames.resized(size) {
                    screen.invalidate()
                    _ = state.update(.resized(width: size.width, height: size.height), model: model, now: now)
                }
                if let notice = model.notice, notice.at > frames.lastDraw {
                    _ = state.update(.notice(notice.text, notice.role), model: model, now: now)
                }
                var grid = CellGrid(width: size.width, height: size.height, asciiOnly: !screen.unicode)
                FleetView.render(
                    model, state: state, into: &grid,
                    context: RenderContext(now: now, glyphs: glyphs, zone: zone, explain: explain))
                screen.draw(grid)
                frames.drew(version: version, size: size, at: now)
            }
            var action: FleetAction?
            let outcome = keys.wait(on: screen, feed: feed, timeout: frames.untilTick(1)) { key in
                if key == .resize {
                    frames.repaint()
                    return false
                }
                action = state.update(.key(key), model: model, now: Date())
                frames.redraw()
                return action != nil
            }
            switch action {
            case .quit: return
            case .open(let name):
                openVM(name, screen)
                frames.repaint()  // the dashboard drew over every cell
            case nil:
                if outcome == .closed { return }
            }
        }
    }
}
