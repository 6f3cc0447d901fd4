/// Where the dashboard loop draws and reads keys: the curses terminal, or a headless screen for benchmarks.
public protocol DashboardScreen: AnyObject {
    /// Size in cells.
    var size: (width: Int, height: Int) { get }
    /// Whether wide and box-drawing characters can be shown.
    var unicode: Bool { get }
    /// The descriptor keys arrive on (polled), nil when there is no input.
    var inputDescriptor: Int32? { get }
    /// Shows a frame (copying only what changed).
    func draw(_ grid: CellGrid)
    /// Forgets what is shown so the next frame repaints fully.
    func invalidate()
    /// One pending key, nil when none.
    func readKey() -> Key?
}

/// A screen without a terminal: keeps the last frame and counts the cells each frame changed.
/// Unchecked: only the UI loop's thread touches it while it runs; read the counters after the loop ended.
public final class HeadlessScreen: DashboardScreen, @unchecked Sendable {
    public let size: (width: Int, height: Int)
    public let unicode = true
    public let inputDescriptor: Int32? = nil
    public private(set) var frames = 0
    public private(set) var changedCells = 0
    public private(set) var lastFrame: CellGrid?

    public init(width: Int, height: Int) { size = (width, height) }

    public func draw(_ grid: CellGrid) {
        changedCells += grid.changedCells(since: lastFrame).count
        frames += 1
        lastFrame = grid
    }

    public func invalidate() { lastFrame = nil }
    public func readKey() -> Key? { nil }
}
