import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The dashboard's model shared between the source tasks that update it and the UI thread that draws it.
/// Every update wakes the UI thread through a pipe, so it can sleep in poll(2) instead of spinning.
public final class DashboardFeed: @unchecked Sendable {
    private let lock = NSLock()
    private var model: DashboardModel
    private var version = 0
    private var quitRequested = false
    /// Read end (the UI thread polls it) and write end of the wake-up pipe.
    let wakeDescriptors: (read: Int32, write: Int32)

    public init(_ model: DashboardModel) {
        self.model = model
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        } else {
            fds = [-1, -1]
        }
        wakeDescriptors = (fds[0], fds[1])
    }

    deinit {
        if wakeDescriptors.read >= 0 { close(wakeDescriptors.read) }
        if wakeDescriptors.write >= 0 { close(wakeDescriptors.write) }
    }

    /// Changes the model and wakes the UI; `wake: false` for bookkeeping the next regular frame may pick up.
    public func update(wake: Bool = true, _ change: (inout DashboardModel) -> Void) {
        lock.withLock {
            change(&model)
            if wake { version += 1 }
        }
        if wake { self.wake() }
    }

    /// Asks the UI loop to end (e.g. after SIGINT handling elsewhere or an end-to-end script).
    public func requestQuit() {
        lock.withLock { quitRequested = true }
        wake()
    }

    /// The current model and its version.
    public func current() -> (model: DashboardModel, version: Int, quit: Bool) {
        lock.withLock { (model, version, quitRequested) }
    }

    /// Empties the wake-up pipe after the UI thread woke.
    func drainWakeups() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeDescriptors.read, &buffer, buffer.count) > 0 {}
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeDescriptors.write, &byte, 1)
    }
}
