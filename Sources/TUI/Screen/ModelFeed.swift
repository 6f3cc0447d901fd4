import Core
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The dashboard's feed: its model shared between the sources and the UI thread.
public typealias DashboardFeed = ModelFeed<DashboardModel>

/// A screen's model shared between the source tasks that update it and the UI thread that draws it.
/// Every update wakes the UI thread through a pipe, so it can sleep in poll(2) instead of spinning.
public final class ModelFeed<Model: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var model: Model
    private var version = 0
    private var quitRequested = false
    /// Read end (the UI thread polls it) and write end of the wake-up pipe; nil when the process is out of
    /// descriptors (the UI then wakes on its regular frame only).
    let wakeDescriptors: (read: FileDescriptor, write: FileDescriptor)?

    public init(_ model: Model) {
        self.model = model
        wakeDescriptors = try? FileDescriptor.pipe()
        wakeDescriptors?.read.setNonBlocking()
        wakeDescriptors?.write.setNonBlocking()
    }

    deinit {
        wakeDescriptors?.read.close()
        wakeDescriptors?.write.close()
    }

    /// Changes the model and wakes the UI; `wake: false` for bookkeeping the next regular frame may pick up.
    public func update(wake: Bool = true, _ change: (inout Model) -> Void) {
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
    public func current() -> (model: Model, version: Int, quit: Bool) {
        lock.withLock { (model, version, quitRequested) }
    }

    /// Empties the wake-up pipe after the UI thread woke.
    func drainWakeups() {
        guard let wakeDescriptors else { return }
        while let bytes = try? wakeDescriptors.read.read(upToCount: 64), !bytes.isEmpty {}
    }

    private func wake() {
        wakeDescriptors?.write.writeWakeUp()
    }
}
