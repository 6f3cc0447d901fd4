import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A pipe that becomes readable once `signal()` is called: lets a thread blocked in `poll` notice a task's
/// cancellation. `signal()` after `close()` does nothing (the descriptor may already belong to someone else).
package final class CancellationPipe: Sendable {
    /// Include in the `poll` set; readable once signalled.
    package let readDescriptor: FileDescriptor
    private let state: Mutex<(write: FileDescriptor, signalled: Bool, closed: Bool)>

    package init() throws(SpawnError) {
        let pipe = try PipeDescriptors()
        readDescriptor = pipe.read
        state = Mutex((pipe.write, false, false))
    }

    /// Makes the read end readable (once).
    package func signal() {
        state.withLock { state in
            guard !state.closed, !state.signalled else { return }
            state.signalled = true
            state.write.writeWakeUp()
        }
    }

    /// Whether `signal()` was called.
    package var isSignalled: Bool { state.withLock { $0.signalled } }

    /// Closes both ends; later signals are ignored.
    package func close() {
        state.withLock { state in
            guard !state.closed else { return }
            state.closed = true
            state.write.close()
            readDescriptor.close()
        }
    }
}
