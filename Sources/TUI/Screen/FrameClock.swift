import Foundation

/// When a screen loop draws: after the model changed (its feed's version), the size changed, a key was handled,
/// or a clock on screen ticked; never more often.
struct FrameClock {
    private var lastVersion = -1
    private(set) var lastDraw = Date.distantPast
    private(set) var lastSize = (width: -1, height: -1)

    /// Whether a frame is due now.
    func due(version: Int, size: (width: Int, height: Int), now: Date, tick: TimeInterval) -> Bool {
        version != lastVersion || size != lastSize || now.timeIntervalSince(lastDraw) >= tick
    }

    /// Whether the size changed since the last frame (the screen must repaint every cell).
    func resized(_ size: (width: Int, height: Int)) -> Bool { size != lastSize }

    /// A frame of this model version and size was drawn at `now`.
    mutating func drew(version: Int, size: (width: Int, height: Int), at now: Date) {
        (lastVersion, lastSize, lastDraw) = (version, size, now)
    }

    /// Draw again at the next turn (a key changed the state).
    mutating func redraw() { lastVersion = -1 }

    /// Repaint every cell at the next turn (the terminal resized, or another screen drew over this one).
    mutating func repaint() { lastSize = (-1, -1) }

    /// Seconds until the next tick is due.
    func untilTick(_ tick: TimeInterval) -> TimeInterval { max(0.01, tick - Date().timeIntervalSince(lastDraw)) }
}
