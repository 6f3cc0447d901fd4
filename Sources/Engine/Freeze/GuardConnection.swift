import Basics
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The job's side of a running freeze guard: its command pipe and the reports it sent.
///
/// A reader thread collects the guard's JSON lines and reaps the guard at EOF (thawing from this process if the
/// guard vanished while holding the freeze). Closing the command pipe (a `thaw` request, this object's deinit,
/// or the job process dying) makes the guard thaw.
final class GuardConnection: @unchecked Sendable {
    private let lock = NSLock()
    private var commandDescriptor: FileDescriptor?
    private var ready = false
    private var frozen = false
    private var finished: FreezeGuardMessage?
    private var ended = false
    private var waiters: [CheckedContinuation<Bool, Never>] = []

    /// What replaces the guard's thaw if it dies without reporting.
    let emergency: EmergencyThaw
    /// The guard's process id.
    let processID: pid_t
    /// Called (on the reader thread) for each of the guard's `waitingForLock` reports.
    private let onLockWait: @Sendable (FreezeGuardMessage) -> Void
    private var lockWaited: UInt64 = 0

    private init(
        commandDescriptor: FileDescriptor, emergency: EmergencyThaw, processID: pid_t,
        onLockWait: @escaping @Sendable (FreezeGuardMessage) -> Void
    ) {
        self.commandDescriptor = commandDescriptor
        self.emergency = emergency
        self.processID = processID
        self.onLockWait = onLockWait
    }

    /// How long the guard waited for the freeze lock before arming its deadline (known once it froze).
    var lockWait: Duration { .nanoseconds(Int64(clamping: lock.withLock { lockWaited })) }

    deinit {
        commandDescriptor?.close()
    }

    /// Starts the guard executable with `arguments`, its stdin and stdout on fresh pipes.
    static func start(
        executable: String, arguments: [String], emergency: EmergencyThaw,
        onLockWait: @escaping @Sendable (FreezeGuardMessage) -> Void = { _ in }
    ) throws(SpawnError) -> GuardConnection {
        let (commands, reports) = try PipeDescriptors.pair()
        defer {
            commands.read.close()
            reports.write.close()
        }
        let process: ChildProcess
        do {
            process = try ChildProcess.spawn(
                executable: executable, arguments: arguments, standardInput: commands.read,
                standardOutput: reports.write)
        } catch {
            commands.write.close()
            reports.read.close()
            throw error
        }
        let connection = GuardConnection(
            commandDescriptor: commands.write, emergency: emergency, processID: process.pid, onLockWait: onLockWait)
        Thread { connection.readReports(from: reports.read, process: process) }.start()
        return connection
    }

    /// Waits for a prepared guard's first answer: true once it is ready to freeze, false when it finished or died.
    func waitUntilReady() async -> Bool {
        await waitUntil { ready || finished != nil || ended }
        return lock.withLock { ready && finished == nil && !ended }
    }

    /// Tells a prepared guard to freeze now (nothing when its command pipe is closed already).
    func requestFreeze() {
        lock.withLock { try? commandDescriptor?.writeAll("freeze\n".utf8) }
    }

    /// Waits for the guard's first answer: true once every mount is frozen, false when it finished or died.
    func waitUntilFrozen() async -> Bool {
        await waitUntil { frozen || finished != nil || ended }
        return lock.withLock { frozen }
    }

    /// Asks the guard to thaw (closing the command pipe) and waits for its final report; nil if it died silently.
    func thaw() async -> FreezeGuardMessage? {
        requestThaw()
        return await finalReport()
    }

    /// Sends `thaw` and closes the command pipe without waiting (the guard thaws on either).
    func requestThaw() {
        lock.withLock {
            guard let descriptor = commandDescriptor else { return }
            // A guard that has gone away (EPIPE) needs no thaw command.
            descriptor.closeAfter { try? descriptor.writeAll("thaw\n".utf8) }
            commandDescriptor = nil
        }
    }

    /// The guard's `finished` report once it arrives; nil if the guard exited without one.
    func finalReport() async -> FreezeGuardMessage? {
        await waitUntil { finished != nil || ended }
        return lock.withLock { finished }
    }

    /// Suspends until `condition` (evaluated under the lock) holds.
    private func waitUntil(_ condition: () -> Bool) async {
        while true {
            let satisfied = await withCheckedContinuation { continuation in
                lock.withLock {
                    if condition() {
                        continuation.resume(returning: true)
                    } else {
                        waiters.append(continuation)
                    }
                }
            }
            if satisfied { return }
        }
    }

    private func update(_ change: () -> Void) {
        let woken = lock.withLock {
            change()
            defer { waiters = [] }
            return waiters
        }
        woken.forEach { $0.resume(returning: false) }
    }

    private func readReports(from descriptor: FileDescriptor, process: ChildProcess) {
        var pending: [UInt8] = []
        while let chunk = try? descriptor.read(upToCount: 4096), !chunk.isEmpty {
            pending.append(contentsOf: chunk)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(pending[..<newline])
                pending.removeSubrange(...newline)
                guard let message = try? JSONDecoder().decode(FreezeGuardMessage.self, from: line) else { continue }
                if message.kind == .waitingForLock {
                    onLockWait(message)
                    continue
                }
                update {
                    lockWaited = message.lockWaitNanoseconds
                    switch message.kind {
                    case .ready: ready = true
                    case .frozen: frozen = true
                    case .finished: finished = message
                    case .waitingForLock: break
                    }
                }
            }
        }
        descriptor.close()
        process.waitForExit()
        // A guard that vanished while holding the freeze (killed, crashed) is replaced by a thaw from here.
        let stranded = lock.withLock { frozen && finished == nil }
        let rescue = stranded ? emergency.run() : nil
        update {
            if let rescue { finished = rescue }
            ended = true
        }
    }
}
