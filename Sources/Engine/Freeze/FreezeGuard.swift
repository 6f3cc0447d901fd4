import Basics
import CVMSnapSystem
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What the thaw guard is asked to do (the arguments of `vmsnap freeze-guard`).
public struct FreezeGuardRequest: Sendable, Equatable {
    /// Mount points in freeze order (the guard thaws in reverse).
    public var mounts: [String]
    /// From arming (before the first FIFREEZE) to the forced thaw.
    public var timeout: Duration
    /// The job process; the guard thaws when it dies.
    public var parentPID: pid_t
    /// The exclusive lock shared with Site Recovery, held while anything is frozen.
    public var lockPath: String
    /// The `rcu_expedited` knob held at 1 (if it was 0) during the FIFREEZE calls; nil: never touch it.
    public var rcuExpeditedPath: String?
    /// How long to wait for a freeze lock another process holds, retrying every second, before failing with 121.
    public var lockWait: Duration
    /// From arming to every mount frozen; later, everything is thawed and the freeze fails with 122.
    public var freezeWait: Duration?
    /// A prepared freeze: once the lock is held and every mount is open and flushed, the guard reports `ready` and
    /// waits up to this long for a `freeze` command before arming its deadline; nil: it freezes at once.
    public var freezeCommandWait: Duration?

    public init(
        mounts: [String], timeout: Duration, parentPID: pid_t, lockPath: String,
        rcuExpeditedPath: String? = nil, lockWait: Duration = .zero, freezeWait: Duration? = nil,
        freezeCommandWait: Duration? = nil
    ) {
        self.mounts = mounts
        self.timeout = timeout
        self.parentPID = parentPID
        self.lockPath = lockPath
        self.rcuExpeditedPath = rcuExpeditedPath
        self.lockWait = lockWait
        self.freezeWait = freezeWait
        self.freezeCommandWait = freezeCommandWait
    }
}

/// The thaw guard, run in a process of its own (`vmsnap freeze-guard`).
///
/// It takes the freeze lock, opens every mount (a prepared guard then flushes them, reports `ready` and waits for a
/// `freeze` command: the slow start happens before a database quiesce, outside its window), arms its deadline, then
/// freezes them from worker threads (one per mount, `/` last; with `rcu_expedited` held at 1 for those calls only, see `GracePeriodExpediter`) while the main thread waits (in `poll`, never a sleep) for the first of: a `thaw` command or EOF on
/// its command pipe (the job ended or died), a signal (including the parent-death signal), or the deadline.
/// It then thaws every frozen mount in reverse order, continuing past failures, reports on its report pipe
/// and exits. A FIFREEZE still blocked at that moment is thawed by the worker as soon as it returns.
public final class FreezeGuard: @unchecked Sendable {
    private enum MountState: Equatable {
        case pending, freezing, frozen, thawed
        case failed(String)
    }

    private let request: FreezeGuardRequest
    private let commands: FileDescriptor
    private let reports: FileDescriptor
    private let wake: PipeDescriptors
    private let lock = NSLock()
    private let expediter: GracePeriodExpediter
    private var descriptors: [FileDescriptor] = []
    private var states: [MountState]
    private var stopRequested = false
    private var workerRunning = false
    private var workerFinished = false
    private var thawedByDeadline = false
    private var freezeFailure: String?
    private var firstFreeze: UInt64?
    private var lastFrozen: UInt64?
    private var firstThaw: UInt64?
    private var lastThaw: UInt64?
    private var thawOrder: [String] = []
    private var lockWaited: UInt64 = 0
    private var thawFailures: [String: String] = [:]

    private init(
        request: FreezeGuardRequest, commands: FileDescriptor, reports: FileDescriptor, wake: PipeDescriptors
    ) {
        self.request = request
        self.commands = commands
        self.reports = reports
        self.wake = wake
        expediter = GracePeriodExpediter(knobPath: request.rcuExpeditedPath)
        states = Array(repeating: .pending, count: request.mounts.count)
    }

    /// Runs the guard to completion in this process and exits it. `commands` is read for `thaw` lines and
    /// EOF; `reports` receives `FreezeGuardMessage` JSON lines.
    public static func run(
        _ request: FreezeGuardRequest, commands: FileDescriptor = FileDescriptor(rawValue: 0),
        reports: FileDescriptor = FileDescriptor(rawValue: 1)
    ) -> Never {
        guard let wake = GuardSignals.install(parentPID: request.parentPID) else {
            report(FreezeGuardMessage(kind: .finished, failureCode: 121, failureMessage: "guard: no pipe"), to: reports)
            exit(1)
        }
        let freezeGuard = FreezeGuard(request: request, commands: commands, reports: reports, wake: wake)
        freezeGuard.execute()
    }

    /// Takes the lock (waiting for it) and opens every mount (a prepared guard then waits for `freeze`), then arms
    /// the deadline before freezing anything.
    private func execute() -> Never {
        if let failure = acquireLock() { finish(failureCode: 121, failureMessage: failure) }
        for mount in request.mounts {
            do {
                descriptors.append(try FileDescriptor.open(mount, O_RDONLY | O_DIRECTORY))
            } catch {
                finish(
                    failureCode: 123, failureMessage: "cannot open mount \(mount): \(SystemError.text(error.number))")
            }
        }
        if let wait = request.freezeCommandWait { awaitFreezeCommand(within: wait) }
        let armed = MonotonicClock.now()
        let deadline = armed + request.timeout.wholeNanoseconds
        let freezeDeadline = request.freezeWait.map { min(deadline, armed + $0.wholeNanoseconds) } ?? deadline
        lock.withLock { workerRunning = true }
        Thread { self.freezeAll() }.start()
        var frozenReported = false
        while true {
            let now = MonotonicClock.now()
            guard now < deadline else {
                let completed = thawAll(byDeadline: true)
                if completed { finish() }
                finish(
                    failureCode: 122,
                    failureMessage: "freeze did not complete within \(request.timeout) (\(blockedMounts()))")
            }
            if !frozenReported && now >= freezeDeadline {
                let seconds = Double(freezeDeadline - armed) / 1e9
                _ = thawAll(byDeadline: false)
                finish(
                    failureCode: 122,
                    failureMessage:
                        "freeze did not complete within the freeze wait of \(seconds) s (\(blockedMounts())); thawed")
            }
            var fds = pollSet()
            let next = frozenReported ? deadline : min(deadline, freezeDeadline)
            let waitMilliseconds = Int32(clamping: (next - now + 999_999) / 1_000_000)
            guard poll(&fds, 2, waitMilliseconds) > 0 else { continue }
            if fds[1].revents != 0 {
                for byte in drain(wake.read) {
                    if let signal = GuardSignals.stopSignal(byte, parentPID: request.parentPID) {
                        stop(reason: "signal \(signal)")
                    }
                }
                if let failure = lock.withLock({ freezeFailure }) {
                    _ = thawAll(byDeadline: false)
                    finish(failureCode: 121, failureMessage: failure)
                }
                if !frozenReported && lock.withLock({ workerFinished }) {
                    var frozen = FreezeGuardMessage(kind: .frozen)
                    frozen.lockWaitNanoseconds = lockWaited
                    Self.report(frozen, to: reports)
                    frozenReported = true
                }
            }
            if fds[0].revents != 0 {
                let command = drain(commands)
                let asked = command.isEmpty ? "the job closed the command pipe" : "thaw requested"
                stop(reason: asked)
            }
        }
    }

    /// A prepared guard: flushes every mount (so the flush inside the window finds little), reports `ready` and
    /// returns on a `freeze` command. Anything else ends the guard with nothing frozen: a `thaw` command or EOF on the
    /// command pipe (the job no longer wants the freeze, or died), a signal, or `wait` passing.
    private func awaitFreezeCommand(within wait: Duration) {
        Self.runConcurrently(Array(descriptors.indices)) { self.descriptors[$0].syncFilesystem() }
        Self.report(FreezeGuardMessage(kind: .ready), to: reports)
        let limit = MonotonicClock.now() + wait.wholeNanoseconds
        var received: [UInt8] = []
        while true {
            let now = MonotonicClock.now()
            guard now < limit else {
                finish(
                    failureCode: 122, failureMessage: "no freeze command within \(wait) of being ready; nothing frozen")
            }
            var fds = pollSet()
            guard poll(&fds, 2, Int32(clamping: (limit - now + 999_999) / 1_000_000)) > 0 else { continue }
            if fds[1].revents != 0,
                let signal = drain(wake.read).lazy.compactMap({
                    GuardSignals.stopSignal($0, parentPID: self.request.parentPID)
                }).first
            {
                finish(failureCode: 121, failureMessage: "stopped before freezing: signal \(signal)")
            }
            guard fds[0].revents != 0 else { continue }
            let chunk = drain(commands)
            // EOF or `thaw`: the job dropped the prepared freeze; nothing was frozen, so nothing failed.
            guard !chunk.isEmpty else { finish() }
            received += chunk
            guard let newline = received.firstIndex(of: UInt8(ascii: "\n")) else { continue }
            guard received[..<newline].elementsEqual("freeze".utf8), newline == received.count - 1 else { finish() }
            return
        }
    }

    /// Thaws now because of `reason`; a failure when the freeze had not completed yet.
    private func stop(reason: String) -> Never {
        if thawAll(byDeadline: false) { finish() }
        finish(failureCode: 121, failureMessage: "freeze interrupted before it completed: \(reason)")
    }

    /// The worker thread: flushes every mount (outside the window), then freezes all mounts but `/` at once,
    /// one thread each, then `/`, with RCU grace periods expedited for those calls only; stops early once a
    /// FIFREEZE failed or a thaw began.
    private func freezeAll() {
        Self.runConcurrently(Array(descriptors.indices)) { self.descriptors[$0].syncFilesystem() }
        lock.withLock { if !stopRequested { expediter.engage() } }
        let (root, others) = descriptors.indices.reduce(into: ([Int](), [Int]())) { split, index in
            if request.mounts[index] == "/" { split.0.append(index) } else { split.1.append(index) }
        }
        Self.runConcurrently(others) { self.freeze($0) }
        if lock.withLock({ freezeFailure == nil }) { Self.runConcurrently(root) { self.freeze($0) } }
        lock.withLock {
            expediter.restore()
            workerFinished = true
            workerRunning = false
        }
        wake.write.writeWakeUp(with: 0)
    }

    /// FIFREEZE of one mount, unless a thaw or a failure came first; thaws it at once if a thaw began meanwhile.
    private func freeze(_ index: Int) {
        let proceed = lock.withLock {
            guard !stopRequested, freezeFailure == nil else { return false }
            states[index] = .freezing
            if firstFreeze == nil { firstFreeze = MonotonicClock.now() }
            return true
        }
        guard proceed else { return }
        let result = Result { () throws(SystemError) in try descriptors[index].freezeFilesystem() }
        lock.withLock {
            if case .failure(let error) = result {
                states[index] = .failed("FIFREEZE failed: \(SystemError.text(error.number))")
                if freezeFailure == nil {
                    freezeFailure = "cannot freeze \(request.mounts[index]): \(SystemError.text(error.number))"
                }
                return
            }
            states[index] = .frozen
            lastFrozen = MonotonicClock.now()
            if stopRequested { thawLocked(index) }  // the thaw began while this FIFREEZE was blocked
        }
    }

    /// Runs `body` for every index on a thread of its own and waits for all of them.
    private static func runConcurrently(_ indices: [Int], _ body: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for index in indices {
            group.enter()
            Thread {
                body(index)
                group.leave()
            }.start()
        }
        group.wait()
    }

    /// Thaws every frozen mount in reverse order; returns whether the freeze had completed before.
    private func thawAll(byDeadline: Bool) -> Bool {
        lock.withLock {
            let completed = workerFinished && freezeFailure == nil
            stopRequested = true
            thawedByDeadline = byDeadline
            if firstThaw == nil { firstThaw = MonotonicClock.now() }
            for index in states.indices.reversed() where states[index] == .frozen { thawLocked(index) }
            for index in states.indices where states[index] == .freezing {
                thawFailures[request.mounts[index]] = "FIFREEZE still blocked at thaw time; thawed when it returns"
            }
            return completed
        }
    }

    /// FITHAW of one mount; the caller holds `lock`.
    private func thawLocked(_ index: Int) {
        let mount = request.mounts[index]
        do {
            try descriptors[index].thawFilesystem()
            thawFailures[mount] = nil
        } catch {
            thawFailures[mount] = "FITHAW failed: \(SystemError.text(error.number))"
        }
        states[index] = .thawed
        thawOrder.append(mount)
        lastThaw = MonotonicClock.now()
    }

    private func blockedMounts() -> String {
        lock.withLock {
            let blocked = states.indices.filter { states[$0] == .freezing }.map { request.mounts[$0] }
            return blocked.isEmpty ? "no FIFREEZE blocked" : "FIFREEZE blocked on \(blocked.joined(separator: ", "))"
        }
    }

    /// Takes the freeze lock (a POSIX record lock, as the peer and Site Recovery take it with lockf), retrying every
    /// second up to `lockWait` and reporting each retry with the holder's pid; returns why not when it stays held or
    /// the job asked to stop meanwhile. Held until the guard exits.
    private func acquireLock() -> String? {
        let directory = (request.lockPath as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let descriptor: Int32
        do {
            // Never closed: the lock is held until the guard exits.
            descriptor = try FileDescriptor.open(request.lockPath, O_RDWR | O_CREAT, permissions: 0o600).rawValue
        } catch {
            return "cannot open lock \(request.lockPath): \(SystemError.text(error.number))"
        }
        let started = MonotonicClock.now()
        let limit = started + request.lockWait.wholeNanoseconds
        var holder: Int32 = 0
        while true {
            if vmsnap_record_lock(descriptor) == 0 {
                lockWaited = MonotonicClock.now() - started
                return nil
            }
            guard errno == EAGAIN || errno == EACCES else {
                return "cannot lock \(request.lockPath): \(SystemError.text(errno))"
            }
            holder = vmsnap_record_lock_holder(descriptor)
            let holderText = holder > 0 ? " by process \(holder)" : ""
            let now = MonotonicClock.now()
            guard now < limit else {
                let waited = Double(now - started) / 1e9
                return
                    "another freeze is in progress: the freeze lock \(request.lockPath) is held\(holderText) (waited \(Int(waited.rounded())) s)"
            }
            var message = FreezeGuardMessage(kind: .waitingForLock)
            message.lockHolderPID = holder > 0 ? holder : nil
            message.lockWaitNanoseconds = now - started
            Self.report(message, to: reports)
            var fds = pollSet()
            let pause = Int32(clamping: min(1_000_000_000, limit - now) / 1_000_000)
            if poll(&fds, 2, max(1, pause)) > 0 {
                let signalled =
                    fds[1].revents != 0
                    && drain(wake.read).contains { GuardSignals.stopSignal($0, parentPID: request.parentPID) != nil }
                if signalled || fds[0].revents != 0 {
                    return "stopped while waiting for the freeze lock \(request.lockPath) held\(holderText)"
                }
            }
        }
    }

    /// Restores `rcu_expedited` if a FIFREEZE is still blocked, reports the end (after thawing) and exits once the
    /// worker no longer holds a mount.
    private func finish(failureCode: Int? = nil, failureMessage: String? = nil) -> Never {
        var message = lock.withLock {
            stopRequested = true
            expediter.restore()
            return FreezeGuardMessage(
                kind: .finished, failureCode: failureCode, failureMessage: failureMessage, thawOrder: thawOrder,
                thawFailures: thawFailures,
                windowNanoseconds: firstFreeze.map { start in (lastThaw ?? start) - start } ?? 0,
                freezingNanoseconds: firstFreeze.map { start in (lastFrozen ?? start) - start } ?? 0,
                thawingNanoseconds: firstThaw.map { start in max(lastThaw ?? start, start) - start } ?? 0,
                thawedByDeadline: thawedByDeadline, gracePeriods: expediter.state)
        }
        message.lockWaitNanoseconds = lockWaited
        Self.report(message, to: reports)
        while lock.withLock({ workerRunning }) {
            var fds = [pollfd(fd: wake.read.rawValue, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 1, -1) > 0 { _ = drain(wake.read) }
        }
        exit(failureCode == nil ? 0 : 1)
    }

    /// The command pipe and the wake-up pipe, for `poll`.
    private func pollSet() -> [pollfd] {
        [commands, wake.read].map { pollfd(fd: $0.rawValue, events: Int16(POLLIN), revents: 0) }
    }

    /// What the descriptor holds now (one read); empty at end of file or on error.
    private func drain(_ descriptor: FileDescriptor) -> [UInt8] {
        (try? descriptor.read(upToCount: 256)) ?? []
    }

    /// One JSON line to the job; a job that has gone away (EPIPE) is not an error here.
    private static func report(_ message: FreezeGuardMessage, to descriptor: FileDescriptor) {
        guard var line = try? JSONEncoder().encode(message) else { return }
        line.append(UInt8(ascii: "\n"))
        try? descriptor.writeAll(line)
    }
}
