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
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                do {
                    try self.loop()
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "vmsnap-ui"
            thread.start()
        }
    }

    private func loop() throws(TerminalUnavailable) {
        let terminal = try CursesTerminal(environment: environment, palette: palette)
        defer { terminal.stop() }
        runLoop(on: terminal)
    }

    /// The UI loop on any screen; returns when the operator quits, input closes or the feed asks to quit.
    public func runLoop(on screen: any DashboardScreen) {
        let glyphs: Glyphs = screen.unicode ? .unicode : .ascii
        var state = DashboardState()
        var lastVersion = -1
        var lastDraw = Date.distantPast
        var lastSize = (width: -1, height: -1)
        var emptyReads = 0
        while true {
            var (model, version, quit) = feed.current()
            if quit { return }
            let now = Date()
            let size = screen.size
            let ticking = model.freezeOpenedAt != nil || model.live.map { !$0.isTerminal } == true
            let tick: TimeInterval = ticking ? 0.1 : 1
            if version != lastVersion || size != lastSize || now.timeIntervalSince(lastDraw) >= tick {
                if size != lastSize {
                    screen.invalidate()
                    _ = state.update(.resized(width: size.width, height: size.height), model: model, now: now)
                }
                if let notice = model.notice, notice.at > lastDraw {
                    _ = state.update(.notice(notice.text, notice.role), model: model, now: now)
                }
                var grid = CellGrid(width: size.width, height: size.height, asciiOnly: !screen.unicode)
                let context = RenderContext(now: now, glyphs: glyphs, zone: zone, explain: explain)
                DashboardView.render(model, state: state, into: &grid, context: context)
                screen.draw(grid)
                lastVersion = version
                lastSize = size
                lastDraw = now
            }
            let untilTick = max(0.01, tick - Date().timeIntervalSince(lastDraw))
            var fds = [
                pollfd(fd: feed.wakeDescriptors?.read.rawValue ?? -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: screen.inputDescriptor ?? -1, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, nfds_t(fds.count), Int32(untilTick * 1000))
            if ready < 0 && errno != EINTR { return }
            if fds[0].revents != 0 { feed.drainWakeups() }
            guard screen.inputDescriptor != nil else { continue }
            let input = fds[1].revents
            if input & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { return }  // the terminal is gone
            var gotKey = false
            while let key = screen.readKey() {
                gotKey = true
                if key == .resize {
                    lastSize = (-1, -1)
                    continue
                }
                switch state.update(.key(key), model: model, now: Date()) {
                case .quit: return
                case .prepareTrigger:
                    prepareTrigger()
                    model = feed.current().model  // the next key (`y`) answers the plan just resolved
                case .trigger: onTrigger()
                case nil: break
                }
                lastVersion = -1
            }
            // Readable without any key, again and again: stdin reached end of file. Never spin on it.
            emptyReads = input & Int16(POLLIN) != 0 && !gotKey ? emptyReads + 1 : 0
            if emptyReads > 50 { return }
        }
    }
}
