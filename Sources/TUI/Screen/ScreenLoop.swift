import Core
import Foundation

/// A screen's model as its sources feed it; a notice in it becomes the screen's toast.
protocol ScreenModel: Sendable {
    var notice: (text: String, role: ColorRole, at: Date)? { get }
}

/// A screen's interaction state: changed only by `update` with the one message type, drawn by a pure view.
protocol ScreenState {
    associatedtype Model: ScreenModel
    associatedtype Action
    /// The screen's size, from the last `.resized` message.
    var screenSize: (width: Int, height: Int) { get set }
    /// The one short-lived message: keys, jobs and sources all go through `update`.
    var toast: (text: String, role: ColorRole, until: Date)? { get set }
    mutating func update(_ message: DashboardMessage, model: Model, now: Date) -> Action?
    /// Renders one frame of the model in this state.
    func render(_ model: Model, into grid: inout CellGrid, context: RenderContext)
}

extension ScreenState {
    /// Takes what every screen handles alike (a notice becomes the toast, a size is kept) and returns the key of a
    /// key message for the screen's own handling.
    mutating func keyAfterCommonMessages(_ message: DashboardMessage, now: Date) -> Key? {
        switch message {
        case .key(let key): return key
        case .notice(let text, let role): showToast(text, role: role, now: now)
        case .resized(let width, let height): screenSize = (width, height)
        }
        return nil
    }

    /// Shows the toast for a few seconds.
    mutating func showToast(_ text: String, role: ColorRole, now: Date, seconds: TimeInterval = 4) {
        toast = (text, role, now.addingTimeInterval(seconds))
    }
}

extension DashboardModel: ScreenModel {}
extension FleetModel: ScreenModel {}

extension DashboardState: ScreenState {
    func render(_ model: DashboardModel, into grid: inout CellGrid, context: RenderContext) {
        DashboardView.render(model, state: self, into: &grid, context: context)
    }
}

extension FleetState: ScreenState {
    func render(_ model: FleetModel, into grid: inout CellGrid, context: RenderContext) {
        FleetView.render(model, state: self, into: &grid, context: context)
    }
}

/// The turn every screen loop takes: draw a frame when one is due (the model changed, the size changed, a key was
/// handled, a clock on screen ticked), then sleep until a key or a model update and hand each key to the screen.
struct ScreenLoop<State: ScreenState> {
    let feed: ModelFeed<State.Model>
    let screen: any DashboardScreen
    let zone: ClockZone
    let explain: @Sendable (String) -> CodeExplanation?
    var state: State
    private var frames = FrameClock()
    private var keys = KeyReader()

    init(
        feed: ModelFeed<State.Model>, screen: any DashboardScreen, zone: ClockZone,
        explain: @escaping @Sendable (String) -> CodeExplanation?, state: State
    ) {
        self.feed = feed
        self.screen = screen
        self.zone = zone
        self.explain = explain
        self.state = state
    }

    /// One turn; `tick` is how often a clock on screen needs a frame, `handle` gets each key with the state and
    /// model and returns true to stop reading keys. Nil when the feed asked to quit.
    mutating func turn(
        tick: (State.Model) -> TimeInterval, handle: (Key, inout State, inout State.Model) -> Bool
    ) -> InputOutcome? {
        var (model, version, quit) = feed.current()
        if quit { return nil }
        let now = Date()
        let size = screen.size
        let every = tick(model)
        if frames.due(version: version, size: size, now: now, tick: every) {
            if frames.resized(size) {
                screen.invalidate()
                _ = state.update(.resized(width: size.width, height: size.height), model: model, now: now)
            }
            if let notice = model.notice, notice.at > frames.lastDraw {
                _ = state.update(.notice(notice.text, notice.role), model: model, now: now)
            }
            var grid = CellGrid(width: size.width, height: size.height, asciiOnly: !screen.unicode)
            let glyphs: Glyphs = screen.unicode ? .unicode : .ascii
            state.render(
                model, into: &grid, context: RenderContext(now: now, glyphs: glyphs, zone: zone, explain: explain))
            screen.draw(grid)
            frames.drew(version: version, size: size, at: now)
        }
        return keys.wait(on: screen, feed: feed, timeout: frames.untilTick(every)) { key in
            if key == .resize {
                frames.repaint()
                return false
            }
            frames.redraw()
            return handle(key, &state, &model)
        }
    }

    /// Repaints every cell at the next turn (another screen drew over this one).
    mutating func repaint() { frames.repaint() }
}
